import ZooFormats
import ZooGraph

/// Reads a checkpoint in any format SwiftZoo knows, detected from the content: `.zoo`,
/// safetensors, and every Keras layout.
public enum AnyCheckpointReader {
    /// The format of a file, from its first bytes and structure.
    public static func detectFormat(_ path: String) throws -> CheckpointFormat {
        if ZooFileReader.isZooFile(path) { return .zoo }
        if SafetensorsFile.isSafetensors(path) { return .safetensors }
        return try CheckpointReader.detectFormat(path)
    }

    /// Reads any supported file; `.zoo` tensors are zero-copy views, and the graph a `.zoo`
    /// file stores comes back too. A `.zoo` file's tensor checksums are checked as `verification`
    /// says: by default all of them before anything is used (ResNet50: a few milliseconds), so
    /// a corrupt tensor is an error naming it, never silently wrong numbers or a "good" copy.
    public static func read(_ path: String, verification: ZooFileReader.Verification = .eager) throws -> (checkpoint: Checkpoint, graph: Graph?, architecture: String?) {
        switch try detectFormat(path) {
        case .zoo:
            let reader = try ZooFileReader(path: path, verification: verification)
            return (try reader.checkpoint(), try reader.graph(), try reader.metadata().architecture)
        case .safetensors:
            return (try SafetensorsFile.read(path), nil, nil)
        default:
            return (try CheckpointReader.read(path), nil, nil)
        }
    }
}
