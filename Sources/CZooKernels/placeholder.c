int zoo_kernels_placeholder(void) { return 0; }
