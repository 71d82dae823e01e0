import ArgumentParser
import Foundation
import ZooFormats
import ZooHDF5
import ZooNative

/// `zoo inspect FILE`: what a checkpoint holds, as a table, JSON or the raw HDF5 tree.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the layers and weights of a Keras weight file.",
        discussion: """
        Reads any Keras layout (legacy weights .h5, full-model .h5, Keras 3 .weights.h5, .keras) \
        and lists layers in file order with each weight's name, shape, dtype and parameter count.
        """
    )

    @Argument(help: "The file to inspect.")
    var file: String

    @Flag(help: "Print exactly one JSON object instead of the table.")
    var json = false

    @Flag(help: "Print the raw HDF5 tree (groups, datasets, attributes) of any HDF5 file.")
    var tree = false

    @Flag(help: "Add sum, min, max and sum of absolute values of every weight.")
    var stats = false

    func run() throws {
        if tree {
            print(try HDF5TreePrinter.render(file: file), terminator: "")
            return
        }
        let checkpoint = try AnyCheckpointReader.read(file).checkpoint
        let report = InspectReport(checkpoint: checkpoint, includeStatistics: stats)
        if json {
            print(try report.json())
        } else {
            print(report.table(fileName: file), terminator: "")
        }
    }
}
