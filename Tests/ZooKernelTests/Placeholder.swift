import Testing
import CZooKernels
