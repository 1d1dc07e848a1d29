window.MathJax = {
  tex: {
    inlineMath: [["\\(", "\\)"]],
    displayMath: [["\\[", "\\]"]],
    processEscapes: true,
    processEnvironments: true
  },
  options: {
    ignoreHtmlClass: ".*|",
    processHtmlClass: "arithmatex"
  }
};

// MathJax (served from assets/mathjax/, see docs/hooks/mathjax.py) typesets each page
// when it starts. Re-typesetting from the theme's document$ observable, as needed with
// instant navigation (not enabled here), cleared the output cache during the first
// typeset and left every formula blank; tests/test_browser.py checks that glyphs show.
