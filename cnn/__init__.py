"""cnn: small convolutional classifiers for Fashion-MNIST under a parameter budget."""
