"""The library's theorems as Hypothesis properties, one module per topic.

Importing a module registers its properties with :mod:`reluapprox.verify`.
"""
