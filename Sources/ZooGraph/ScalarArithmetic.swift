/// A Keras operation applied to a tensor and a Python number, recorded in a functional config
/// as an op node rather than a layer: Keras 3 writes `x + 3.0` as
/// `{"module": "keras.src.ops.numpy", "class_name": "Add", "inbound_nodes": [{"args": [x, 3.0]}]}`,
/// tf-keras as a `TFOpLambda` layer (`"function": "__operators__.add"`, `{"y": 3.0}`).
/// MobileNetV3's hard sigmoid, `ReLU(6)(x + 3) * (1 / 6)`, is built from two of them.
///
/// Op nodes are not layers: Keras 3 leaves them out of `model.layers`, so they take no
/// `.weights.h5` group and no per-class counter there; they share Keras's automatic names with
/// layers of the same snake-case name (`add`, `multiply`, ...).
public struct ScalarArithmetic: Codable, Equatable, Sendable {
    /// The operation, with Keras 3's class name as its raw value.
    public enum Operation: String, Codable, Sendable, CaseIterable {
        case add = "Add"
        case subtract = "Subtract"
        case multiply = "Multiply"
        /// `x / c` (Keras 3 `TrueDivide`, tf-keras `math.truediv`).
        case divide = "TrueDivide"

        /// The tf-keras `TFOpLambda` function name.
        public var tfFunction: String {
            switch self {
            case .add: return "__operators__.add"
            case .subtract: return "math.subtract"
            case .multiply: return "math.multiply"
            case .divide: return "math.truediv"
            }
        }

        /// The operation of a Keras 3 `keras.src.ops.numpy` class name (`Divide` and
        /// `TrueDivide` are the same on floats), or nil.
        public static func keras3(_ className: String) -> Operation? {
            className == "Divide" ? .divide : Operation(rawValue: className)
        }

        /// The operation of a tf-keras `TFOpLambda` function name, or nil.
        public static func tfKeras(_ function: String) -> Operation? {
            switch function {
            case "__operators__.add", "math.add": return .add
            case "math.subtract": return .subtract
            case "math.multiply": return .multiply
            case "math.truediv", "math.divide": return .divide
            default: return nil
            }
        }
    }

    public var operation: Operation
    /// The number (float32 in the computation, as Keras casts it to the tensor's dtype).
    public var constant: Double
    /// Whether the number is the first operand (`3 - x`, `1 / x`); matters for subtract and divide.
    public var constantFirst: Bool

    public init(_ operation: Operation, _ constant: Double, constantFirst: Bool = false) {
        self.operation = operation
        self.constant = constant
        self.constantFirst = constantFirst
    }
}
