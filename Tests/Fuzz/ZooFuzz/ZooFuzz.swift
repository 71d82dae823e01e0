// Placeholder: the libFuzzer harness is written by Tests/Fuzz/README.md's owner.
@main struct ZooFuzzPlaceholder { static func main() {} }
