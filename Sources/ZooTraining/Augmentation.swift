import Dispatch
import Foundation

/// Random image augmentation for training, with the semantics of Keras 3's preprocessing
/// layers `RandomFlip`, `RandomTranslation`, `RandomRotation`, `RandomZoom` and
/// `RandomContrast`.
///
/// An augmentation is an ordered list of steps. For each image of a batch every step draws its
/// random values from a `SeededGenerator` and is then applied, one after the other (each warp
/// resamples the output of the previous step, as a stack of Keras layers does).
///
/// Augmentation is for training only: the fit loop calls `apply` on training batches and never
/// on validation, evaluation or prediction batches (Keras's layers are identities when
/// `training=False`; here the caller makes that choice by not calling `apply`).
///
/// Batches are NHWC `Float` arrays, channels last. Augmentation runs on whatever values the
/// batch holds, so it works on raw pixels and on preprocessed inputs alike; only
/// `contrast`'s optional clipping depends on the value range (see `Step.contrast`).
///
/// Build one with `parse(_:)` from the command-line syntax, for example
/// `flip,translate=0.1,rotate=0.05,zoom=0.1,contrast=0.2`, or from `Step` values.
public struct Augmentation: Codable, Sendable, Equatable, CustomStringConvertible {
    /// One augmentation step: which transformation, the ranges its random values come from,
    /// and its sampling options.
    ///
    /// Every range is the range of the value drawn uniformly per image, in Keras's units:
    /// translation as a fraction of the image height or width, rotation as a fraction of a full
    /// turn (2π), zoom and contrast as the change of the factor from 1 (the factor applied is
    /// `1 + value`).
    public enum Step: Codable, Sendable, Equatable, CustomStringConvertible {
        /// Flips the image with probability 1/2 along every enabled axis (Keras `RandomFlip`,
        /// modes `"horizontal"`, `"vertical"`, `"horizontal_and_vertical"`): `horizontal`
        /// mirrors left-right, `vertical` top-bottom.
        ///
        /// As in Keras 3, one coin decides for both axes, so with both enabled an image is either
        /// unchanged or rotated by 180°, never flipped along one axis only. For independent
        /// flips use two steps (`flip=horizontal,flip=vertical`). Draws one value per image.
        case flip(horizontal: Bool, vertical: Bool)

        /// Moves the content down by a fraction of the height drawn from `height` and right by a
        /// fraction of the width drawn from `width` (Keras `RandomTranslation`, factors in
        /// `[-1, 1]`; negative values move up or left). Draws two values per image: height,
        /// then width.
        case translate(height: ClosedRange<Double>, width: ClosedRange<Double>, sampling: ImageTransform.Sampling = .keras)

        /// Rotates about the image centre by a fraction of a full turn (2π radians) drawn from
        /// the range (Keras `RandomRotation`, factor in `[-1, 1]`; positive turns the content
        /// counter-clockwise as displayed). Draws one value per image.
        case rotate(ClosedRange<Double>, sampling: ImageTransform.Sampling = .keras)

        /// Zooms about the image centre (Keras `RandomZoom`, factors in `(-1, 1]`): the sampled
        /// area is scaled by `1 + value`, so positive values zoom out and negative values zoom
        /// in. With `width` nil the width uses the height's value, keeping the aspect ratio (one
        /// draw per image); otherwise draws two values per image: height, then width.
        case zoom(height: ClosedRange<Double>, width: ClosedRange<Double>?, sampling: ImageTransform.Sampling = .keras)

        /// Scales each channel's deviation from its mean (Keras `RandomContrast`): with `f = 1 +
        /// value`, value drawn from the range (in `[-1, 1]`), every element becomes
        /// `(x - mean) * f + mean`, where `mean` is that image's mean of that channel over height
        /// and width, then is clipped to `clip` when given. One value per image, shared by its
        /// channels.
        ///
        /// Keras clips to its `value_range`, default `(0, 255)`; that is only right for raw
        /// pixels, and it destroys preprocessed inputs (anything scaled to `[-1, 1]` or
        /// mean-centred loses its negative half), so here clipping is off unless asked for:
        /// pass `clip: 0...255` (or `:clip=0..255` in the spec) for Keras's default on raw
        /// pixels, or the range your inputs really have.
        case contrast(ClosedRange<Double>, clip: ClosedRange<Double>? = nil)

        /// The step's name in the spec syntax: flip, translate, rotate, zoom or contrast.
        public var name: String {
            switch self {
            case .flip: return "flip"
            case .translate: return "translate"
            case .rotate: return "rotate"
            case .zoom: return "zoom"
            case .contrast: return "contrast"
            }
        }

        /// How many uniform values the step draws per image (see each case).
        public var drawsPerImage: Int {
            switch self {
            case .flip, .rotate, .contrast: return 1
            case .translate: return 2
            case .zoom(_, let width, _): return width == nil ? 1 : 2
            }
        }

        /// Draws this step's values for one image, in the documented order, each from its range
        /// (a flip's value comes from `[0, 1)`; below 0.5 means flip).
        public func draw(_ generator: inout SeededGenerator) -> [Double] {
            switch self {
            case .flip:
                return [generator.unit()]
            case .translate(let height, let width, _):
                let h = generator.uniform(height)
                return [h, generator.uniform(width)]
            case .rotate(let range, _):
                return [generator.uniform(range)]
            case .zoom(let height, let width, _):
                let h = generator.uniform(height)
                guard let width else { return [h] }
                return [h, generator.uniform(width)]
            case .contrast(let range, _):
                return [generator.uniform(range)]
            }
        }

        /// The deterministic operation for given drawn values on an image of `height` x `width`:
        /// the Keras transform for those values. `values` are what `draw` returns (and may be
        /// any values, not only ones inside the step's ranges):
        /// - flip `[u]`: flips when `u < 0.5`;
        /// - translate `[h, w]`: `ImageTransform.translation(x: w * width, y: h * height)`;
        /// - rotate `[r]`: `ImageTransform.rotation(radians: 2π r, ...)`;
        /// - zoom `[h]` or `[h, w]`: `ImageTransform.zoom(x: 1 + (w or h), y: 1 + h, ...)`;
        /// - contrast `[c]`: contrast factor `1 + c`.
        public func operation(for values: [Double], height: Int, width: Int) throws(AugmentationError) -> Operation {
            guard values.count == drawsPerImage else {
                throw .parameterCount(step: name, expected: drawsPerImage, received: values.count)
            }
            switch self {
            case .flip(let horizontal, let vertical):
                let flips = values[0] < 0.5
                return .flip(horizontal: horizontal && flips, vertical: vertical && flips)
            case .translate(_, _, let sampling):
                return .warp(.translation(x: values[1] * Double(width), y: values[0] * Double(height)), sampling)
            case .rotate(_, let sampling):
                return .warp(.rotation(radians: 2 * Double.pi * values[0], height: height, width: width), sampling)
            case .zoom(_, _, let sampling):
                let y = 1 + values[0]
                let x = values.count > 1 ? 1 + values[1] : y
                return .warp(.zoom(x: x, y: y, height: height, width: width), sampling)
            case .contrast(_, let clip):
                return .contrast(factor: 1 + values[0], clip: clip)
            }
        }

        /// Checks the ranges against Keras's limits and that every number is finite.
        public func validate() throws(AugmentationError) {
            switch self {
            case .flip(let horizontal, let vertical):
                guard horizontal || vertical else { throw .emptyFlip }
            case .translate(let height, let width, let sampling):
                try Self.check(height, "translate height", within: -1...1, units: "a fraction of the image height")
                try Self.check(width, "translate width", within: -1...1, units: "a fraction of the image width")
                try Self.check(sampling, step: "translate")
            case .rotate(let range, let sampling):
                try Self.check(range, "rotate", within: -1...1, units: "a fraction of a full turn; 0.25 is 90 degrees")
                try Self.check(sampling, step: "rotate")
            case .zoom(let height, let width, let sampling):
                try Self.check(height, "zoom height", within: -1...1, units: "the change of the zoom factor from 1", openBelow: true)
                if let width {
                    try Self.check(width, "zoom width", within: -1...1, units: "the change of the zoom factor from 1", openBelow: true)
                }
                try Self.check(sampling, step: "zoom")
            case .contrast(let range, let clip):
                try Self.check(range, "contrast", within: -1...1, units: "the change of the contrast factor from 1")
                if let clip, !clip.lowerBound.isFinite || !clip.upperBound.isFinite {
                    throw .outOfRange(step: "contrast clip", bounds: Self.text(clip), allowed: "finite numbers, e.g. 0..255 or 0..1")
                }
            }
        }

        /// The step in the spec syntax, with options only where they differ from the defaults;
        /// `Augmentation.parse` reads it back to the same step.
        public var description: String {
            switch self {
            case .flip(let horizontal, let vertical):
                return "flip=" + (horizontal && vertical ? "both" : horizontal ? "horizontal" : vertical ? "vertical" : "none")
            case .translate(let height, let width, let sampling):
                return "translate=\(Self.factorText(height))/\(Self.factorText(width))" + Self.optionsText(sampling)
            case .rotate(let range, let sampling):
                return "rotate=\(Self.factorText(range))" + Self.optionsText(sampling)
            case .zoom(let height, let width, let sampling):
                return "zoom=\(Self.factorText(height))" + (width.map { "/" + Self.factorText($0) } ?? "") + Self.optionsText(sampling)
            case .contrast(let range, let clip):
                return "contrast=\(Self.factorText(range))" + (clip.map { ":clip=\(Self.text($0))" } ?? "")
            }
        }

        private static func check(_ range: ClosedRange<Double>, _ what: String, within allowed: ClosedRange<Double>,
                                  units: String, openBelow: Bool = false) throws(AugmentationError) {
            let lowOK = openBelow ? range.lowerBound > allowed.lowerBound : range.lowerBound >= allowed.lowerBound
            guard range.lowerBound.isFinite, range.upperBound.isFinite, lowOK, range.upperBound <= allowed.upperBound else {
                let interval = (openBelow ? "(" : "[") + "\(allowed.lowerBound.specText), \(allowed.upperBound.specText)]"
                throw .outOfRange(step: what, bounds: text(range), allowed: "\(interval) (\(units))")
            }
        }

        private static func check(_ sampling: ImageTransform.Sampling, step: String) throws(AugmentationError) {
            guard sampling.fillValue.isFinite else {
                throw .outOfRange(step: "\(step) fill_value", bounds: "\(sampling.fillValue)", allowed: "a finite number")
            }
        }

        private static func text(_ range: ClosedRange<Double>) -> String {
            "\(range.lowerBound.specText)..\(range.upperBound.specText)"
        }

        private static func factorText(_ range: ClosedRange<Double>) -> String {
            range.lowerBound == -range.upperBound && range.upperBound >= 0 ? range.upperBound.specText : text(range)
        }

        private static func optionsText(_ sampling: ImageTransform.Sampling) -> String {
            var text = ""
            if sampling.fillMode != .reflect { text += ":fill=\(sampling.fillMode.rawValue)" }
            if sampling.interpolation != .bilinear { text += ":interpolation=\(sampling.interpolation.rawValue)" }
            if sampling.fillValue != 0 { text += ":fill_value=\(sampling.fillValue.specText)" }
            return text
        }
    }

    /// One step with its random values fixed for one image: what is actually done to it.
    public enum Operation: Sendable, Equatable {
        /// Mirror left-right when `horizontal`, top-bottom when `vertical` (both false: nothing).
        case flip(horizontal: Bool, vertical: Bool)
        /// Resample through the transform (see `ImageTransform`).
        case warp(ImageTransform, ImageTransform.Sampling)
        /// `(x - mean) * factor + mean` per channel, then clip to `clip` when given.
        case contrast(factor: Double, clip: ClosedRange<Double>?)

        /// Applies the operation in place to one HWC image; `scratch` holds at least as many
        /// floats as the image (used by warps).
        func apply(to image: UnsafeMutableBufferPointer<Float>, scratch: UnsafeMutableBufferPointer<Float>,
                   height: Int, width: Int, channels: Int) {
            guard let base = image.baseAddress else { return }
            switch self {
            case .flip(let horizontal, let vertical):
                if horizontal {
                    for y in 0..<height {
                        let row = base + y * width * channels
                        var left = 0, right = width - 1
                        while left < right {
                            for c in 0..<channels { swap(&row[left * channels + c], &row[right * channels + c]) }
                            left += 1
                            right -= 1
                        }
                    }
                }
                if vertical {
                    let rowLength = width * channels
                    var top = 0, bottom = height - 1
                    while top < bottom {
                        let a = base + top * rowLength, b = base + bottom * rowLength
                        for i in 0..<rowLength { swap(&a[i], &b[i]) }
                        top += 1
                        bottom -= 1
                    }
                }
            case .warp(let transform, let sampling):
                let count = height * width * channels
                guard let copy = scratch.baseAddress, scratch.count >= count else { return }
                copy.update(from: base, count: count)
                transform.warp(UnsafeBufferPointer(start: copy, count: count), into: image,
                               height: height, width: width, channels: channels, sampling: sampling)
            case .contrast(let factor, let clip):
                let pixels = height * width
                guard pixels > 0 else { return }
                let f = Float(factor)
                let low = clip.map { Float($0.lowerBound) }, high = clip.map { Float($0.upperBound) }
                for c in 0..<channels {
                    var sum = 0.0
                    for p in 0..<pixels { sum += Double(base[p * channels + c]) }
                    let mean = Float(sum / Double(pixels))
                    for p in 0..<pixels {
                        var v = (base[p * channels + c] - mean) * f + mean
                        if let low, let high { v = min(max(v, low), high) }
                        base[p * channels + c] = v
                    }
                }
            }
        }
    }

    /// The steps, applied in order.
    public let steps: [Step]

    /// An augmentation of these steps, in order; throws if a step's range is outside Keras's
    /// limits (see `Step.validate()`).
    public init(_ steps: [Step]) throws(AugmentationError) {
        for step in steps { try step.validate() }
        self.steps = steps
    }

    private init(unchecked steps: [Step]) {
        self.steps = steps
    }

    /// The augmentation that does nothing (spec `none` or empty).
    public static let none = Augmentation(unchecked: [])

    /// Whether there are no steps (then `apply` leaves batches unchanged and draws nothing).
    public var isEmpty: Bool { steps.isEmpty }

    /// How many uniform values one image consumes from the generator.
    public var drawsPerImage: Int { steps.reduce(0) { $0 + $1.drawsPerImage } }

    /// Batches with at least this many floats are augmented on several threads when `apply`
    /// chooses the thread count itself.
    public static let parallelThreshold = 1 << 16

    private enum CodingKeys: String, CodingKey {
        case steps
    }

    /// Decodes `{"steps": [...]}` and validates the steps like `init(_:)`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let steps = try container.decode([Step].self, forKey: .steps)
        do {
            try self.init(steps)
        } catch {
            throw DecodingError.dataCorruptedError(forKey: .steps, in: container, debugDescription: String(describing: error))
        }
    }

    /// Encodes `{"steps": [...]}`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(steps, forKey: .steps)
    }

    /// The augmentation in the spec syntax (`none` when empty); `parse` reads it back to an
    /// equal augmentation.
    public var description: String {
        steps.isEmpty ? "none" : steps.map(\.description).joined(separator: ",")
    }

    // MARK: Drawing and applying

    /// Draws every image's operations, in a fixed order: image by image (0, 1, ...), and within
    /// an image step by step, each step taking `Step.drawsPerImage` uniforms from `generator`
    /// (so a batch consumes `images * drawsPerImage` values; the result depends only on the
    /// generator's state, never on threads).
    public func operations(images: Int, height: Int, width: Int, generator: inout SeededGenerator) -> [[Operation]] {
        var result: [[Operation]] = []
        result.reserveCapacity(max(images, 0))
        for _ in 0..<max(images, 0) {
            var operations: [Operation] = []
            for step in steps {
                let values = step.draw(&generator)
                // The count always matches what `draw` returns, so this cannot fail.
                if let operation = try? step.operation(for: values, height: height, width: width) {
                    operations.append(operation)
                }
            }
            result.append(operations)
        }
        return result
    }

    /// Augments a training batch in place: draws each image's random values from `generator`
    /// (see `operations(images:height:width:generator:)` for the order), then applies the steps
    /// to each image.
    ///
    /// Call it on training batches only; evaluation and prediction use the batch as it is.
    /// `shape` is `(batch, height, width, channels)` and must match `batch.count`; on a
    /// mismatch nothing is drawn or changed. `threads` 0 picks the count (one thread below
    /// `parallelThreshold` floats, else up to one per core); the result is the same for every
    /// thread count.
    public func apply(to batch: inout [Float], shape: (Int, Int, Int, Int), generator: inout SeededGenerator,
                      threads: Int = 0) throws(AugmentationError) {
        try Self.checkShape(count: batch.count, shape: shape)
        guard !steps.isEmpty, shape.0 > 0 else { return }
        let operations = operations(images: shape.0, height: shape.1, width: shape.2, generator: &generator)
        try Self.apply(operations, to: &batch, shape: shape, threads: threads)
    }

    /// Applies fixed per-image operations (one list per image, in batch order) in place: the
    /// deterministic half of `apply(to:shape:generator:threads:)`, also for tests that need
    /// exact transforms. Images are independent, so they are split between threads.
    public static func apply(_ operations: [[Operation]], to batch: inout [Float], shape: (Int, Int, Int, Int),
                             threads: Int = 0) throws(AugmentationError) {
        try checkShape(count: batch.count, shape: shape)
        let (images, height, width, channels) = shape
        guard operations.count == images else { throw .operationCount(images: images, received: operations.count) }
        guard images > 0 else { return }
        let imageSize = height * width * channels
        let workers: Int
        if threads == 1 || images == 1 {
            workers = 1
        } else if threads > 1 {
            workers = min(threads, images)
        } else {
            workers = batch.count >= parallelThreshold ? min(images, max(1, ProcessInfo.processInfo.activeProcessorCount)) : 1
        }
        batch.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let data = buffer
            let run: @Sendable (Int) -> Void = { (worker: Int) in
                let scratch = UnsafeMutableBufferPointer<Float>.allocate(capacity: imageSize)
                scratch.initialize(repeating: 0)
                defer { scratch.deallocate() }
                var image = worker
                while image < images {
                    let slice = UnsafeMutableBufferPointer(rebasing: data[(image * imageSize)..<((image + 1) * imageSize)])
                    for operation in operations[image] {
                        operation.apply(to: slice, scratch: scratch, height: height, width: width, channels: channels)
                    }
                    image += workers
                }
            }
            if workers == 1 {
                run(0)
            } else {
                DispatchQueue.concurrentPerform(iterations: workers, execute: run)
            }
        }
    }

    private static func checkShape(count: Int, shape: (Int, Int, Int, Int)) throws(AugmentationError) {
        let dims = [shape.0, shape.1, shape.2, shape.3]
        var product = 1
        var overflow = false
        for d in dims {
            let (p, o) = product.multipliedReportingOverflow(by: d)
            product = p
            overflow = overflow || o
        }
        guard dims.allSatisfy({ $0 >= 0 }), !overflow, product == count,
              shape.0 == 0 || (shape.1 > 0 && shape.2 > 0 && shape.3 > 0) else {
            throw .shapeMismatch(count: count, shape: dims)
        }
    }

    // MARK: Parsing

    /// The spec grammar, for command-line help.
    public static let grammar = """
        spec      := "none" | step ("," step)*
        step      := flip | translate | rotate | zoom | contrast
        flip      := "flip" ["=" ("horizontal" | "vertical" | "both")]      bare flip = horizontal
        translate := "translate=" range ["/" range] warp-option*           height[/width], fractions of the size
        rotate    := "rotate=" range warp-option*                           fraction of a full turn
        zoom      := "zoom=" range ["/" range] warp-option*                 height[/width]; no width keeps the aspect
        contrast  := "contrast=" range [":clip=" (number ".." number | "none")]   factor 1 + value; no clipping by default
        range     := number                (f means -f..f)
                   | number ".." number    (low..high)
        warp-option := ":fill=" ("reflect" | "wrap" | "constant" | "nearest")    default reflect
                     | ":interpolation=" ("bilinear" | "nearest")               default bilinear
                     | ":fill_value=" number                                    default 0 (for fill=constant)
        example: flip,translate=0.1,rotate=0.05,zoom=0.1,contrast=0.2
        """

    /// The step names the spec syntax knows.
    public static let stepNames = ["flip", "translate", "rotate", "zoom", "contrast"]

    /// Reads the command-line syntax, e.g. `flip,translate=0.1,rotate=0.05,zoom=0.1,contrast=0.2`.
    ///
    /// Grammar (see also `grammar`); steps are separated by commas and applied in the order
    /// written; names and keywords are case-insensitive and spaces around tokens are ignored:
    /// - `flip`, `flip=horizontal`, `flip=vertical`, `flip=both` (also
    ///   `flip=horizontal_and_vertical`): bare `flip` is `horizontal` (the usual choice for
    ///   natural images; Keras's `RandomFlip()` constructor default is
    ///   `"horizontal_and_vertical"`, which here is `flip=both`).
    /// - `translate=H[/W]`: Keras `RandomTranslation(H, W)`; `W` defaults to `H`.
    /// - `rotate=R`: Keras `RandomRotation(R)`, a fraction of a full turn.
    /// - `zoom=H[/W]`: Keras `RandomZoom(H, W)`; without `W` the aspect ratio is kept.
    /// - `contrast=C`: contrast factor `1 + value`, value drawn from `C`.
    /// - A range is `f` (meaning `-|f|..|f|`, like a single Keras factor) or `low..high` (like a
    ///   Keras pair; the low bound first). For contrast `low..high` is the range of the change
    ///   from 1: Keras `RandomContrast(factor=(a, b))` is `contrast=-a..b`, and Keras 3.15's
    ///   `RandomContrast(f)` with one number actually draws from `[1, 1 + f]`, which is
    ///   `contrast=0..f` (its documentation, and `contrast=f` here, say `[1 - f, 1 + f]`).
    /// - Options follow a step after colons: translate, rotate and zoom take `:fill=reflect|wrap|
    ///   constant|nearest`, `:interpolation=bilinear|nearest`, `:fill_value=NUMBER` (defaults
    ///   reflect, bilinear, 0, as in Keras's layers); contrast takes `:clip=LOW..HIGH` (or
    ///   `:clip=none`, the default).
    /// - `none` or an empty string: no augmentation.
    ///
    /// Errors name the bad token and list the valid choices.
    public static func parse(_ spec: String) throws(AugmentationError) -> Augmentation {
        let trimmed = spec.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty || trimmed.lowercased() == "none" { return .none }
        var steps: [Step] = []
        for rawToken in trimmed.split(separator: ",", omittingEmptySubsequences: false) {
            let token = rawToken.trimmingCharacters(in: .whitespaces)
            guard !token.isEmpty else {
                throw .badValue(token: trimmed, reason: "there is an empty step (two commas in a row, or a comma at an end); remove the extra comma")
            }
            steps.append(try parseStep(token))
        }
        return try Augmentation(steps)
    }

    private static func parseStep(_ token: String) throws(AugmentationError) -> Step {
        let parts = token.split(separator: ":", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        let head = parts[0]
        let nameAndValue = head.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        let name = nameAndValue[0].trimmingCharacters(in: .whitespaces).lowercased()
        let value = nameAndValue.count > 1 ? nameAndValue[1].trimmingCharacters(in: .whitespaces) : nil
        guard stepNames.contains(name) else {
            throw .unknownStep(token: token, valid: stepNames)
        }
        // Options: key=value pairs after the first colon.
        var options: [String: String] = [:]
        for option in parts.dropFirst() {
            let pair = option.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = pair[0].trimmingCharacters(in: .whitespaces).lowercased()
            let validOptions = name == "flip" ? [] : name == "contrast" ? ["clip"] : ["fill", "interpolation", "fill_value"]
            guard validOptions.contains(key) else {
                throw .unknownOption(token: token, option: option, valid: validOptions)
            }
            guard pair.count == 2, !pair[1].trimmingCharacters(in: .whitespaces).isEmpty else {
                throw .badValue(token: token, reason: "option '\(key)' needs a value, e.g. \(example(option: key))")
            }
            guard options[key] == nil else {
                throw .badValue(token: token, reason: "option '\(key)' is given twice; keep one")
            }
            options[key] = pair[1].trimmingCharacters(in: .whitespaces)
        }

        if name == "flip" {
            switch value?.lowercased() {
            case nil, "horizontal": return .flip(horizontal: true, vertical: false)
            case "vertical": return .flip(horizontal: false, vertical: true)
            case "both", "horizontal_and_vertical": return .flip(horizontal: true, vertical: true)
            case let other?:
                throw .badValue(token: token, reason: "flip mode '\(other)' is unknown; valid modes: horizontal, vertical, both (bare 'flip' means horizontal)")
            }
        }
        guard let value, !value.isEmpty else {
            throw .badValue(token: token, reason: "'\(name)' needs a factor, e.g. \(example(step: name))")
        }
        if name == "contrast" {
            var clip: ClosedRange<Double>?
            if let text = options["clip"], text.lowercased() != "none" {
                clip = try parseRange(text, token: token, allowSingle: false)
            }
            return .contrast(try parseRange(value, token: token), clip: clip)
        }
        let sampling = try parseSampling(options, token: token)
        switch name {
        case "rotate":
            return .rotate(try parseRange(value, token: token), sampling: sampling)
        default:
            let axes = value.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard axes.count <= 2 else {
                throw .badValue(token: token, reason: "'\(value)' has more than two factors; write HEIGHT or HEIGHT/WIDTH, e.g. \(example(step: name))")
            }
            let height = try parseRange(axes[0], token: token)
            let width = try axes.count > 1 ? parseRange(axes[1], token: token) : nil
            if name == "translate" {
                return .translate(height: height, width: width ?? height, sampling: sampling)
            }
            return .zoom(height: height, width: width, sampling: sampling)
        }
    }

    private static func parseSampling(_ options: [String: String], token: String) throws(AugmentationError) -> ImageTransform.Sampling {
        var sampling = ImageTransform.Sampling.keras
        if let text = options["fill"] {
            guard let mode = ImageTransform.FillMode(rawValue: text.lowercased()) else {
                throw .badValue(token: token, reason: "fill mode '\(text)' is unknown; valid modes: \(ImageTransform.FillMode.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            sampling.fillMode = mode
        }
        if let text = options["interpolation"] {
            guard let interpolation = ImageTransform.Interpolation(rawValue: text.lowercased()) else {
                throw .badValue(token: token, reason: "interpolation '\(text)' is unknown; valid: \(ImageTransform.Interpolation.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            sampling.interpolation = interpolation
        }
        if let text = options["fill_value"] {
            sampling.fillValue = try parseNumber(text, token: token)
        }
        return sampling
    }

    private static func parseRange(_ text: String, token: String, allowSingle: Bool = true) throws(AugmentationError) -> ClosedRange<Double> {
        let bounds = text.components(separatedBy: "..")
        if bounds.count == 1, allowSingle {
            let f = abs(try parseNumber(text, token: token))
            return -f...f
        }
        guard bounds.count == 2 else {
            throw .badValue(token: token, reason: "'\(text)' is not a range; write LOW..HIGH, e.g. -0.1..0.2" + (allowSingle ? ", or one number f for -f..f" : ""))
        }
        let low = try parseNumber(bounds[0], token: token)
        let high = try parseNumber(bounds[1], token: token)
        guard low <= high else {
            throw .badValue(token: token, reason: "range '\(text)' has its low bound above its high bound; write \(high.specText)..\(low.specText)")
        }
        return low...high
    }

    private static func parseNumber(_ text: String, token: String) throws(AugmentationError) -> Double {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let number = Double(trimmed), number.isFinite else {
            throw .badValue(token: token, reason: "'\(trimmed)' is not a finite number; write e.g. 0.1, or a range like -0.1..0.2")
        }
        return number
    }

    private static func example(step: String) -> String {
        switch step {
        case "translate": return "translate=0.1 or translate=0.1/0.2 (height/width)"
        case "rotate": return "rotate=0.05 (a fraction of a full turn)"
        case "zoom": return "zoom=0.1 or zoom=0.1/0.2 (height/width)"
        default: return "contrast=0.2"
        }
    }

    private static func example(option: String) -> String {
        switch option {
        case "fill": return "fill=constant (reflect, wrap, constant, nearest)"
        case "interpolation": return "interpolation=nearest (bilinear, nearest)"
        case "fill_value": return "fill_value=0.5"
        default: return "clip=0..255"
        }
    }
}

/// An error building or applying an `Augmentation`; the message names the bad token or value
/// and says what to write instead.
public enum AugmentationError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The step name is not one of `valid`.
    case unknownStep(token: String, valid: [String])
    /// The step's value or an option's value cannot be read; `reason` says how to fix it.
    case badValue(token: String, reason: String)
    /// An option the step does not take.
    case unknownOption(token: String, option: String, valid: [String])
    /// A range outside what the step allows.
    case outOfRange(step: String, bounds: String, allowed: String)
    /// A flip step with neither axis enabled.
    case emptyFlip
    /// The batch's element count does not match its shape.
    case shapeMismatch(count: Int, shape: [Int])
    /// `Step.operation(for:height:width:)` got the wrong number of values.
    case parameterCount(step: String, expected: Int, received: Int)
    /// `Augmentation.apply(_:to:shape:threads:)` got a list of operations per image of the wrong length.
    case operationCount(images: Int, received: Int)

    /// What went wrong and what to change.
    public var description: String {
        switch self {
        case .unknownStep(let token, let valid):
            return "unknown augmentation step '\(token)'; valid steps: \(valid.joined(separator: ", ")) (e.g. flip,translate=0.1,rotate=0.05,zoom=0.1,contrast=0.2)"
        case .badValue(let token, let reason):
            return "bad augmentation step '\(token)': \(reason)"
        case .unknownOption(let token, let option, let valid):
            let choices = valid.isEmpty ? "this step takes no options" : "valid options: " + valid.joined(separator: ", ")
            return "unknown option '\(option)' in augmentation step '\(token)'; \(choices)"
        case .outOfRange(let step, let bounds, let allowed):
            return "\(step) range \(bounds) is outside \(allowed); use smaller factors"
        case .emptyFlip:
            return "a flip step needs at least one axis; use flip=horizontal, flip=vertical or flip=both"
        case .shapeMismatch(let count, let shape):
            let needed = shape.reduce(Int?(1)) { product, d in
                guard let product, d >= 0 else { return nil }
                let (p, overflow) = product.multipliedReportingOverflow(by: d)
                return overflow ? nil : p
            }
            let need = needed.map { "needs \($0)" } ?? "is not a valid size"
            return "augmentation batch has \(count) floats but shape \(shape) (batch, height, width, channels) \(need); pass the batch's real NHWC shape"
        case .parameterCount(let step, let expected, let received):
            return "the \(step) step takes \(expected) value\(expected == 1 ? "" : "s") per image, got \(received); pass what Step.draw returns"
        case .operationCount(let images, let received):
            return "got operations for \(received) image\(received == 1 ? "" : "s") but the batch has \(images); pass one list per image"
        }
    }
}

extension Double {
    /// The shortest text that reads back to the same value ("0.1", "-1.0", "1e-05").
    fileprivate var specText: String { description }
}
