// swift-tools-version:6.0
import PackageDescription

// Layers go one way: CHDF5 (C shim) -> ZooHDF5 (safe wrapper) -> ZooFormats (Keras layouts)
// -> ZooNative (the .zoo format, holding a ZooGraph) -> ZooModels (architectures, naming,
// binding) -> ZooCompute (the CPU executor, on the C targets CZooKernels and CZooThreads)
// -> ZooTraining (losses, optimisers, augmentation, the fit loop) and ZooImages (codecs on
// CZooCodecs, resizing, image datasets, feature extraction) -> ZooCLI.
// Nothing lower imports anything higher.
let package = Package(
    name: "SwiftZoo",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "ZooHDF5", targets: ["ZooHDF5"]),
        .library(name: "ZooFormats", targets: ["ZooFormats"]),
        .library(name: "ZooGraph", targets: ["ZooGraph"]),
        .library(name: "ZooNative", targets: ["ZooNative"]),
        .library(name: "ZooModels", targets: ["ZooModels"]),
        .library(name: "ZooCompute", targets: ["ZooCompute"]),
        .library(name: "ZooTraining", targets: ["ZooTraining"]),
        .library(name: "ZooImages", targets: ["ZooImages"]),
        .executable(name: "zoo", targets: ["ZooCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", exact: "0.9.20"),
    ],
    targets: [
        .systemLibrary(
            name: "CHDF5",
            path: "Sources/CHDF5",
            pkgConfig: "hdf5",
            providers: [.apt(["libhdf5-dev", "pkg-config"])]
        ),
        .systemLibrary(
            name: "COpenSSL",
            path: "Sources/COpenSSL",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        // The HDF5 sandbox's process runner (posix_spawn, limits, a deadline).
        .target(name: "CZooSandbox", path: "Sources/CZooSandbox"),
        .target(name: "ZooHDF5", dependencies: ["CHDF5", "CZooSandbox"]),
        // Image codecs from Debian's dev packages: libjpeg-turbo, libpng, giflib.
        .systemLibrary(name: "CJPEG", path: "Sources/CJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg62-turbo-dev"])]),
        .systemLibrary(name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CGIF", path: "Sources/CGIF", pkgConfig: "libgif", providers: [.apt(["libgif-dev"])]),
        // The decoders' setjmp/longjmp error handling, which Swift cannot express.
        .target(name: "CZooCodecs", dependencies: ["CJPEG", "CPNG", "CGIF"], path: "Sources/CZooCodecs"),
        // C kernels with per-function target attributes and runtime CPU dispatch (no unsafe flags).
        .target(name: "CZooKernels", path: "Sources/CZooKernels"),
        // Removal of unfinished outputs on SIGINT / SIGTERM / SIGHUP (a watcher thread, pthreads).
        .target(name: "CZooCleanup", path: "Sources/CZooCleanup"),
        // Persistent worker threads for the compute core's parallel loops (pthreads).
        .target(name: "CZooThreads", path: "Sources/CZooThreads"),
        .target(
            name: "ZooFormats",
            dependencies: ["ZooHDF5", "COpenSSL", "CZooCleanup", .product(name: "ZIPFoundation", package: "ZIPFoundation")]
        ),
        .target(name: "ZooGraph"),
        .target(name: "ZooNative", dependencies: ["ZooGraph", "ZooFormats"]),
        .target(name: "ZooModels", dependencies: ["ZooNative", "ZooGraph", "ZooFormats"]),
        .target(name: "ZooCompute", dependencies: ["ZooModels", "ZooNative", "ZooGraph", "ZooFormats", "CZooKernels", "CZooThreads"]),
        .target(name: "ZooTraining", dependencies: ["ZooCompute", "ZooModels", "ZooGraph", "ZooFormats", "ZooNative"]),
        // Images in: decoding like TensorFlow and Pillow, Keras's two resize paths, preprocessing,
        // image-folder datasets and feature extraction over the compute core.
        .target(name: "ZooImages", dependencies: ["CZooCodecs", "ZooCompute", "ZooModels", "ZooNative", "ZooGraph", "ZooFormats"]),
        .executableTarget(
            name: "ZooCLI",
            dependencies: ["ZooImages", "ZooTraining", "ZooCompute", "ZooModels", "ZooGraph", "ZooFormats", "ZooHDF5", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        // The transfer experiment `make demo` runs, on the Swift API.
        .executableTarget(name: "ZooTransferDemo", dependencies: ["ZooTraining", "ZooModels", "ZooCompute", "ZooFormats"]),
        .executableTarget(
            name: "ZooBench",
            dependencies: ["ZooFormats", "ZooHDF5"],
            path: "Benchmarks/ZooBench"
        ),
        .executableTarget(
            name: "ZooNativeBench",
            dependencies: ["ZooNative", "ZooModels", "ZooFormats"],
            path: "Benchmarks/ZooNativeBench"
        ),
        .executableTarget(
            name: "ZooImageBench",
            dependencies: ["ZooImages"],
            path: "Benchmarks/ZooImageBench"
        ),
        // libFuzzer harness for the .zoo, safetensors, NumPy, Keras config and .keras zip parsers and the image decoders; see Tests/Fuzz/README.md.
        .executableTarget(
            name: "ZooFuzz",
            dependencies: ["ZooNative", "ZooFormats", "ZooImages", "ZooModels", "ZooGraph"],
            path: "Tests/Fuzz/ZooFuzz"
        ),
        .testTarget(name: "ZooKernelTests", dependencies: ["CZooKernels"]),
        .testTarget(name: "ZooHDF5Tests", dependencies: ["ZooHDF5"]),
        .testTarget(name: "ZooFormatsTests", dependencies: ["ZooFormats", "ZooHDF5"]),
        .testTarget(name: "ZooGraphTests", dependencies: ["ZooGraph"]),
        .testTarget(name: "ZooNativeTests", dependencies: ["ZooNative", "ZooGraph", "ZooFormats"]),
        .testTarget(name: "ZooModelsTests", dependencies: ["ZooModels", "ZooNative", "ZooGraph", "ZooFormats"]),
        .testTarget(name: "ZooComputeTests", dependencies: ["ZooCompute", "ZooModels", "ZooGraph", "ZooFormats"]),
        .testTarget(name: "ZooTrainingTests", dependencies: ["ZooTraining", "ZooCompute", "ZooModels", "ZooGraph", "ZooFormats"],
                    exclude: ["make_augmentation_expectations.py", "make_optimizer_expectations.py"]),
        .testTarget(name: "ZooImagesTests", dependencies: ["ZooImages", "ZooCompute", "ZooModels", "ZooFormats"]),
        .testTarget(name: "ZooCLITests", dependencies: ["ZooCLI", "ZooModels", "ZooFormats", "ZooHDF5"]),
    ]
)
