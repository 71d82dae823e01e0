import Foundation

/// A gradient-descent optimiser that updates float32 variables exactly like Keras 3's
/// `optimizer.apply(grads, variables)` (SGD, Adam, AdamW and RMSprop), step for step.
///
/// One ``apply(gradients:to:learningRateMultipliers:)`` call is one Keras update, in Keras's
/// order (`BaseOptimizer.apply` and `_backend_apply_gradients`):
///
/// 1. `lr = learningRate.float32Rate(at: iterations)`, the schedule at the counter *before* this
///    update (Keras reads `self.learning_rate` before `self._iterations.assign_add(1)`).
/// 2. Gradient clipping (``GradientClipping``).
/// 3. Decoupled weight decay, when `weightDecay` is set (for every kind, as in Keras's
///    `_apply_weight_decay`): `w = w - (w * Float(weightDecay)) * lr`, after clipping (which
///    only touches gradients) and before the update step, with the same scheduled `lr` as the
///    update (Keras evaluates `self.learning_rate` at the same `iterations` for both).
/// 4. The kind's update step (formulas on ``Kind``), all in float32 with Python floats rounded
///    to float32 where they meet a tensor, exactly as Keras's JAX backend evaluates them.
/// 5. `iterations += 1`.
///
/// Slots (momentums, velocities, ...) are created as zeros on the first `apply`, sized from the
/// variables' element counts, like Keras's `build`. The whole optimiser, state included, is
/// `Codable`, so a checkpoint resumes bit-exactly (float32 values survive `JSONEncoder`
/// unchanged; non-finite values need a non-conforming float strategy).
///
/// The reference is Keras's eager `optimizer.apply` (JAX backend, CPU), which this matches bit
/// for bit except for norm clipping: XLA sums squares in an order that depends on the array's
/// size, shape and CPU, so `clipNorm`/`globalClipNorm` agree to float32 rounding of the norm.
/// Inside a jitted `model.fit` step XLA additionally fuses `a * b + c` into fused multiply-adds,
/// so Keras's own `fit` drifts from its eager `apply` by about one ulp per step; this type
/// rounds every operation separately, like the eager path.
///
/// Not modelled: EMA of weights, gradient accumulation, loss scaling, variable constraints and
/// `exclude_from_weight_decay` (use a learning-rate multiplier of 0 to freeze a variable).
public struct Optimizer: Codable, Sendable {
    /// The optimisation algorithm. Formulas are per element, in float32, in Keras's operation
    /// order; `lr` is the step's (multiplied) learning rate, `g` the clipped gradient.
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// Keras `SGD`. Without momentum: `w = w - g * lr`. With momentum `mu`:
        /// `m = m * mu - g * lr`, then `w = w + m`, or with Nesterov
        /// `w = w + (m * mu - g * lr)` using the new `m`. Momentum 0 means plain SGD (no slot).
        case sgd
        /// Keras `Adam`. With `t = Float(iterations + 1)`:
        /// `alpha = (lr * sqrt(1 - pow(Float(beta2), t))) / (1 - pow(Float(beta1), t))` (float32
        /// `pow`, as Keras's `ops.power` on float32 tensors),
        /// `m = m + (g - m) * Float(1 - beta1)`, `v = v + (g * g - v) * Float(1 - beta2)`
        /// (`1 - beta` is a Python double subtraction rounded to float32 afterwards, which is not
        /// `1 - Float(beta)`), with AMSGrad `vHat = max(vHat, v)` and `v` replaced by `vHat`,
        /// then `w = w - (m * alpha) / (sqrt(v) + Float(epsilon))`.
        case adam
        /// Keras `AdamW`: exactly ``adam`` plus the base optimiser's decoupled weight decay,
        /// which Keras requires (default 0.004).
        case adamw
        /// Keras `RMSprop`: `v = Float(rho) * v + Float(1 - rho) * (g * g)`; centered also keeps
        /// `a = Float(rho) * a + Float(1 - rho) * g` and uses `d = (v - a * a) + Float(epsilon)`,
        /// otherwise `d = v + Float(epsilon)`; `inc = (lr * g) / sqrt(d)`; with momentum `mu > 0`
        /// `mom = Float(mu) * mom + inc` and `w = w - mom`, otherwise `w = w - inc`.
        case rmsprop
    }

    /// The hyper-parameters. Fields a kind does not use are ignored by it.
    public struct Configuration: Codable, Sendable, Equatable {
        /// The algorithm.
        public var kind: Kind
        /// The learning rate or schedule (Keras default: SGD 0.01, the others 0.001).
        public var learningRate: LearningRateSchedule
        /// SGD and RMSprop momentum (Keras default 0: no momentum slot).
        public var momentum: Double
        /// SGD Nesterov momentum (Keras default false; no effect with momentum 0).
        public var nesterov: Bool
        /// Adam/AdamW first-moment decay (Keras default 0.9).
        public var beta1: Double
        /// Adam/AdamW second-moment decay (Keras default 0.999).
        public var beta2: Double
        /// Adam/AdamW/RMSprop epsilon (Keras default 1e-7).
        public var epsilon: Double
        /// Adam/AdamW AMSGrad variant (Keras default false).
        public var amsgrad: Bool
        /// RMSprop discounting factor (Keras default 0.9).
        public var rho: Double
        /// RMSprop centered variant (Keras default false).
        public var centered: Bool
        /// Decoupled weight decay for any kind (Keras default: none, AdamW 0.004).
        public var weightDecay: Double?
        /// Gradient clipping (default none).
        public var clipping: GradientClipping

        /// A configuration with Keras's default for every hyper-parameter that is nil.
        public init(
            _ kind: Kind,
            learningRate: LearningRateSchedule? = nil,
            momentum: Double? = nil,
            nesterov: Bool = false,
            beta1: Double? = nil,
            beta2: Double? = nil,
            epsilon: Double? = nil,
            amsgrad: Bool = false,
            rho: Double? = nil,
            centered: Bool = false,
            weightDecay: Double? = nil,
            clipping: GradientClipping = GradientClipping()
        ) {
            self.kind = kind
            self.learningRate = learningRate ?? .constant(kind == .sgd ? 0.01 : 0.001)
            self.momentum = momentum ?? 0
            self.nesterov = nesterov
            self.beta1 = beta1 ?? 0.9
            self.beta2 = beta2 ?? 0.999
            self.epsilon = epsilon ?? 1e-7
            self.amsgrad = amsgrad
            self.rho = rho ?? 0.9
            self.centered = centered
            self.weightDecay = weightDecay ?? (kind == .adamw ? 0.004 : nil)
            self.clipping = clipping
        }

        /// Throws an ``OptimizerError`` naming the first bad hyper-parameter and what to change:
        /// the schedule (``LearningRateSchedule/validate()``), momentum in [0, 1] (Keras's SGD
        /// check), beta1, beta2 and rho in [0, 1), epsilon > 0, weightDecay >= 0 (and present
        /// for AdamW, as Keras requires), and the clipping (``GradientClipping/validate()``).
        public func validate() throws {
            try learningRate.validate()
            switch kind {
            case .sgd:
                try OptimizerError.require(momentum >= 0 && momentum <= 1, "momentum", momentum, "must be in [0, 1]")
            case .adam, .adamw:
                try OptimizerError.require(beta1 >= 0 && beta1 < 1, "beta1", beta1, "must be in [0, 1) (Keras default 0.9)")
                try OptimizerError.require(beta2 >= 0 && beta2 < 1, "beta2", beta2, "must be in [0, 1) (Keras default 0.999)")
                try OptimizerError.require(epsilon > 0 && epsilon.isFinite, "epsilon", epsilon, "must be > 0 and finite (Keras default 1e-7)")
            case .rmsprop:
                try OptimizerError.require(rho >= 0 && rho < 1, "rho", rho, "must be in [0, 1) (Keras default 0.9)")
                try OptimizerError.require(momentum >= 0 && momentum <= 1, "momentum", momentum, "must be in [0, 1]")
                try OptimizerError.require(epsilon > 0 && epsilon.isFinite, "epsilon", epsilon, "must be > 0 and finite (Keras default 1e-7)")
            }
            if let weightDecay {
                try OptimizerError.require(weightDecay >= 0 && weightDecay.isFinite, "weightDecay", weightDecay, "must be >= 0 and finite, or nil for none")
            } else if kind == .adamw {
                throw OptimizerError.missingWeightDecay
            }
            try clipping.validate()
        }

        /// Whether this configuration keeps a momentum slot per variable.
        var usesMomentums: Bool {
            switch kind {
            case .sgd: return momentum != 0
            case .adam, .adamw: return true
            case .rmsprop: return momentum > 0
            }
        }
        /// Whether this configuration keeps a velocity slot per variable.
        var usesVelocities: Bool { kind != .sgd }
        /// Whether this configuration keeps an AMSGrad maximum per variable.
        var usesVelocityHats: Bool { (kind == .adam || kind == .adamw) && amsgrad }
        /// Whether this configuration keeps an average gradient per variable.
        var usesAverageGradients: Bool { kind == .rmsprop && centered }
    }

    /// The per-variable optimiser state, Keras's optimizer variables other than `iteration`.
    /// Each used list holds one flat float32 array per variable (the same count); lists the
    /// configuration does not use stay empty.
    public struct Slots: Codable, Sendable, Equatable {
        /// The element count of each variable the state was built for; empty until the first
        /// update.
        public var elementCounts: [Int]
        /// Keras `momentums` (SGD with momentum, Adam/AdamW, RMSprop with momentum).
        public var momentums: [[Float]]
        /// Keras `velocities` (Adam/AdamW, RMSprop).
        public var velocities: [[Float]]
        /// Keras `velocity_hats` (Adam/AdamW with AMSGrad).
        public var velocityHats: [[Float]]
        /// Keras `average_gradients` (centered RMSprop).
        public var averageGradients: [[Float]]

        /// Slots for the given variables' element counts; empty (unbuilt) by default.
        public init(elementCounts: [Int] = [], momentums: [[Float]] = [], velocities: [[Float]] = [], velocityHats: [[Float]] = [], averageGradients: [[Float]] = []) {
            self.elementCounts = elementCounts
            self.momentums = momentums
            self.velocities = velocities
            self.velocityHats = velocityHats
            self.averageGradients = averageGradients
        }

        /// True once the first update has sized the state.
        public var isBuilt: Bool { !elementCounts.isEmpty }
    }

    /// The hyper-parameters; they may be changed between updates (for example the learning
    /// rate), but switching `kind` or enabling a slot mid-run starts that slot at zero.
    public var configuration: Configuration
    /// Keras's `iterations`: the number of updates applied so far.
    public var iterations: Int
    /// The per-variable state, built on the first update.
    public var slots: Slots

    /// An optimiser with the given configuration and (for resuming) state.
    public init(configuration: Configuration, iterations: Int = 0, slots: Slots = Slots()) {
        self.configuration = configuration
        self.iterations = iterations
        self.slots = slots
    }

    /// An optimiser of `kind` with Keras's default for every hyper-parameter that is nil:
    /// learning rate 0.01 (SGD) or 0.001; momentum 0; beta1 0.9, beta2 0.999; epsilon 1e-7;
    /// rho 0.9; weight decay none, or 0.004 for AdamW; no clipping.
    public init(
        _ kind: Kind,
        learningRate: LearningRateSchedule? = nil,
        momentum: Double? = nil,
        nesterov: Bool = false,
        beta1: Double? = nil,
        beta2: Double? = nil,
        epsilon: Double? = nil,
        amsgrad: Bool = false,
        rho: Double? = nil,
        centered: Bool = false,
        weightDecay: Double? = nil,
        clipping: GradientClipping = GradientClipping()
    ) {
        self.init(configuration: Configuration(
            kind, learningRate: learningRate, momentum: momentum, nesterov: nesterov,
            beta1: beta1, beta2: beta2, epsilon: epsilon, amsgrad: amsgrad, rho: rho,
            centered: centered, weightDecay: weightDecay, clipping: clipping))
    }

    /// The learning rate the next update will use (before any per-variable multiplier), as
    /// Keras's float32 value widened to `Double`.
    public var currentLearningRate: Double { configuration.learningRate.rate(at: iterations) }

    /// Forgets the state: `iterations` back to 0 and no slots (rebuilt on the next update).
    public mutating func reset() {
        iterations = 0
        slots = Slots()
    }

    /// Applies one Keras update to every variable: clipping, weight decay, the kind's update,
    /// then `iterations += 1` (see the type's documentation for the order and ``Kind`` for the
    /// formulas).
    ///
    /// - Parameters:
    ///   - gradients: one flat float32 gradient per variable, same order and element counts.
    ///   - variables: the flat float32 values of each variable, updated in place.
    ///   - learningRateMultipliers: one factor >= 0 per variable (nil: 1 everywhere) for
    ///     discriminative fine-tuning; not a Keras feature. Variable i uses
    ///     `lr_i = lr * Float(multiplier_i)` for its update and its weight decay (for Adam,
    ///     `alpha` is computed from `lr_i`), so 1 reproduces Keras bit for bit and 0 freezes
    ///     the variable (its slots still advance).
    /// - Throws: ``OptimizerError`` before anything changes when the configuration is invalid,
    ///   the counts disagree, or the state was built for other variables. No gradients and no
    ///   variables is a no-op, as in Keras (the counter does not advance).
    public mutating func apply(gradients: [[Float]], to variables: inout [[Float]], learningRateMultipliers: [Float]? = nil) throws {
        try configuration.validate()
        guard gradients.count == variables.count else {
            throw OptimizerError.variableCountMismatch(variables: variables.count, gradients: gradients.count)
        }
        if variables.isEmpty { return }
        for i in variables.indices where gradients[i].count != variables[i].count {
            throw OptimizerError.elementCountMismatch(variable: i, variableCount: variables[i].count, gradientCount: gradients[i].count)
        }
        if let multipliers = learningRateMultipliers {
            guard multipliers.count == variables.count else {
                throw OptimizerError.multiplierCountMismatch(variables: variables.count, multipliers: multipliers.count)
            }
            for (i, multiplier) in multipliers.enumerated() where !(multiplier >= 0 && multiplier.isFinite) {
                throw OptimizerError.invalidMultiplier(variable: i, value: multiplier)
            }
        }
        guard iterations >= 0 else {
            throw OptimizerError.inconsistentState("iterations is \(iterations), must be >= 0")
        }
        let counts = variables.map(\.count)
        try prepareSlots(for: counts)

        let learningRate = configuration.learningRate.float32Rate(at: iterations)
        // Clipping is applied elementwise as the gradients are read (the norms are computed
        // first), which gives the same values as clipping a copy without making one.
        let transforms = configuration.clipping.transforms(for: gradients)
        update(gradients: gradients, transforms: transforms, variables: &variables, learningRate: learningRate, multipliers: learningRateMultipliers)
        iterations += 1
    }

    // MARK: - State

    /// Checks the state against the variables' element counts and creates missing slots as
    /// zeros (Keras's `build`). Throws before changing anything.
    private mutating func prepareSlots(for counts: [Int]) throws {
        if slots.isBuilt {
            guard slots.elementCounts.count == counts.count else {
                throw OptimizerError.variableSetChanged(builtFor: slots.elementCounts.count, got: counts.count)
            }
            for i in counts.indices where slots.elementCounts[i] != counts[i] {
                throw OptimizerError.variableShapeChanged(variable: i, builtFor: slots.elementCounts[i], got: counts[i])
            }
        }
        let lists: [(String, [[Float]], Bool)] = [
            ("momentums", slots.momentums, configuration.usesMomentums),
            ("velocities", slots.velocities, configuration.usesVelocities),
            ("velocityHats", slots.velocityHats, configuration.usesVelocityHats),
            ("averageGradients", slots.averageGradients, configuration.usesAverageGradients),
        ]
        for (name, list, used) in lists where used && !list.isEmpty {
            guard list.count == counts.count else {
                throw OptimizerError.inconsistentState("\(name) holds \(list.count) arrays for \(counts.count) variables")
            }
            for i in counts.indices where list[i].count != counts[i] {
                throw OptimizerError.inconsistentState("\(name)[\(i)] has \(list[i].count) values, variable \(i) has \(counts[i])")
            }
        }
        slots.elementCounts = counts
        func zeros() -> [[Float]] { counts.map { [Float](repeating: 0, count: $0) } }
        if configuration.usesMomentums && slots.momentums.isEmpty { slots.momentums = zeros() }
        if configuration.usesVelocities && slots.velocities.isEmpty { slots.velocities = zeros() }
        if configuration.usesVelocityHats && slots.velocityHats.isEmpty { slots.velocityHats = zeros() }
        if configuration.usesAverageGradients && slots.averageGradients.isEmpty { slots.averageGradients = zeros() }
    }

    // MARK: - Update

    /// Weight decay and the kind's update for every variable; inputs already validated.
    private mutating func update(gradients: [[Float]], transforms: [GradientClipping.Transform], variables: inout [[Float]], learningRate: Float, multipliers: [Float]?) {
        let config = configuration
        let decay = config.weightDecay.map { Float($0) }
        // Move the slot lists out of `self` so each inner array is uniquely referenced and is
        // updated in place without copy-on-write or overlapping accesses to `self`.
        var momentums: [[Float]] = [], velocities: [[Float]] = []
        var velocityHats: [[Float]] = [], averageGradients: [[Float]] = []
        swap(&momentums, &slots.momentums)
        swap(&velocities, &slots.velocities)
        swap(&velocityHats, &slots.velocityHats)
        swap(&averageGradients, &slots.averageGradients)
        defer {
            swap(&momentums, &slots.momentums)
            swap(&velocities, &slots.velocities)
            swap(&velocityHats, &slots.velocityHats)
            swap(&averageGradients, &slots.averageGradients)
        }

        // Adam's step-dependent scalars, as adam.py computes them in float32.
        let localStep = Float(iterations + 1)
        let beta1Power = Foundation.pow(Float(config.beta1), localStep)
        let beta2Power = Foundation.pow(Float(config.beta2), localStep)

        for i in variables.indices {
            let lr = multipliers.map { learningRate * $0[i] } ?? learningRate
            let common = Lanes.Common(transform: transforms[i], decay: decay, lr: lr)
            gradients[i].withUnsafeBufferPointer { g in
                variables[i].withUnsafeMutableBufferPointer { w in
                    switch config.kind {
                    case .sgd:
                        if config.usesMomentums {
                            let rule = Lanes.SGDMomentum(lr: lr, momentum: Float(config.momentum), nesterov: config.nesterov)
                            momentums[i].withUnsafeMutableBufferPointer { m in
                                Lanes.run(rule, common, w: w, g: g, m)
                            }
                        } else {
                            Lanes.run(Lanes.SGD(lr: lr), common, w: w, g: g)
                        }
                    case .adam, .adamw:
                        let rule = Lanes.Adam(
                            alpha: lr * (1 - beta2Power).squareRoot() / (1 - beta1Power),
                            oneMinusBeta1: Float(1 - config.beta1), oneMinusBeta2: Float(1 - config.beta2),
                            epsilon: Float(config.epsilon), amsgrad: config.amsgrad)
                        momentums[i].withUnsafeMutableBufferPointer { m in
                            velocities[i].withUnsafeMutableBufferPointer { v in
                                if config.amsgrad {
                                    velocityHats[i].withUnsafeMutableBufferPointer { vHat in
                                        Lanes.run(rule, common, w: w, g: g, m, v, vHat)
                                    }
                                } else {
                                    Lanes.run(rule, common, w: w, g: g, m, v)
                                }
                            }
                        }
                    case .rmsprop:
                        let rule = Lanes.RMSprop(
                            rho: Float(config.rho), oneMinusRho: Float(1 - config.rho), epsilon: Float(config.epsilon),
                            momentum: Float(config.momentum), lr: lr,
                            usesMomentum: config.usesMomentums, centered: config.usesAverageGradients)
                        velocities[i].withUnsafeMutableBufferPointer { v in
                            switch (config.usesMomentums, config.usesAverageGradients) {
                            case (false, false):
                                Lanes.run(rule, common, w: w, g: g, v)
                            case (true, false):
                                momentums[i].withUnsafeMutableBufferPointer { mom in
                                    Lanes.run(rule, common, w: w, g: g, v, mom)
                                }
                            case (false, true):
                                averageGradients[i].withUnsafeMutableBufferPointer { avg in
                                    Lanes.run(rule, common, w: w, g: g, v, nil, avg)
                                }
                            case (true, true):
                                momentums[i].withUnsafeMutableBufferPointer { mom in
                                    averageGradients[i].withUnsafeMutableBufferPointer { avg in
                                        Lanes.run(rule, common, w: w, g: g, v, mom, avg)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The elementwise update kernels, eight float32 lanes at a time. Every lane computes exactly
/// the scalar formula (IEEE add, multiply, divide and square root round the same in a vector
/// lane), so this is bit-identical to an element-by-element loop but does not depend on the
/// compiler auto-vectorising it.
private enum Lanes {
    typealias V = SIMD8<Float>

    /// The same for every rule: clipping of the gradient and Keras's decoupled weight decay.
    struct Common {
        var transform: GradientClipping.Transform
        var decay: Float?
        var lr: Float
    }

    /// One update rule: `w` already weight-decayed, `g` already clipped; `s0`, `s1`, `s2` are
    /// the rule's slots in the order it documents (unused ones are zeros and not stored).
    protocol Rule {
        func update(w: inout V, g: V, s0: inout V, s1: inout V, s2: inout V)
    }

    /// Plain SGD: `w = w - g * lr`.
    struct SGD: Rule {
        var lr: Float
        @inline(__always)
        func update(w: inout V, g: V, s0: inout V, s1: inout V, s2: inout V) {
            w = w - g * V(repeating: lr)
        }
    }

    /// SGD with momentum (`s0` = momentum): `m = m * mu - g * lr`; `w = w + m`, or Nesterov
    /// `w = w + (m * mu - g * lr)` with the new `m`.
    struct SGDMomentum: Rule {
        var lr: Float
        var momentum: Float
        var nesterov: Bool
        @inline(__always)
        func update(w: inout V, g: V, s0 m: inout V, s1: inout V, s2: inout V) {
            let mu = V(repeating: momentum), rate = V(repeating: lr)
            m = m * mu - g * rate
            w = nesterov ? w + (m * mu - g * rate) : w + m
        }
    }

    /// Adam (`s0` = momentum, `s1` = velocity, `s2` = AMSGrad maximum):
    /// `m = m + (g - m) * (1 - b1)`; `v = v + (g * g - v) * (1 - b2)`; AMSGrad
    /// `vHat = max(vHat, v)` and `v = vHat`; `w = w - (m * alpha) / (sqrt(v) + eps)`.
    struct Adam: Rule {
        var alpha: Float
        var oneMinusBeta1: Float
        var oneMinusBeta2: Float
        var epsilon: Float
        var amsgrad: Bool
        @inline(__always)
        func update(w: inout V, g: V, s0 m: inout V, s1 v: inout V, s2 vHat: inout V) {
            m = m + (g - m) * V(repeating: oneMinusBeta1)
            v = v + (g * g - v) * V(repeating: oneMinusBeta2)
            var denominatorSquare = v
            if amsgrad {
                // `maximum`; a NaN in the new velocity propagates.
                vHat = v.replacing(with: vHat, where: vHat .> v)
                denominatorSquare = vHat
            }
            w = w - (m * V(repeating: alpha)) / (denominatorSquare.squareRoot() + V(repeating: epsilon))
        }
    }

    /// RMSprop (`s0` = velocity, `s1` = momentum, `s2` = average gradient):
    /// `v = rho * v + (1 - rho) * (g * g)`; centered `a = rho * a + (1 - rho) * g` and
    /// `d = (v - a * a) + eps`, else `d = v + eps`; `inc = (lr * g) / sqrt(d)`; momentum
    /// `mom = mu * mom + inc` and `w = w - mom`, else `w = w - inc`.
    struct RMSprop: Rule {
        var rho: Float
        var oneMinusRho: Float
        var epsilon: Float
        var momentum: Float
        var lr: Float
        var usesMomentum: Bool
        var centered: Bool
        @inline(__always)
        func update(w: inout V, g: V, s0 v: inout V, s1 mom: inout V, s2 average: inout V) {
            let rhoLanes = V(repeating: rho), oneMinusRhoLanes = V(repeating: oneMinusRho)
            let eps = V(repeating: epsilon)
            v = rhoLanes * v + oneMinusRhoLanes * (g * g)
            let denominator: V
            if centered {
                average = rhoLanes * average + oneMinusRhoLanes * g
                denominator = (v - average * average) + eps
            } else {
                denominator = v + eps
            }
            let increment = (V(repeating: lr) * g) / denominator.squareRoot()
            if usesMomentum {
                mom = V(repeating: momentum) * mom + increment
                w = w - mom
            } else {
                w = w - increment
            }
        }
    }

    @inline(__always)
    static func load(_ base: UnsafeRawPointer, _ j: Int) -> V {
        base.loadUnaligned(fromByteOffset: j * MemoryLayout<Float>.stride, as: V.self)
    }

    @inline(__always)
    static func store(_ value: V, _ base: UnsafeMutableRawPointer, _ j: Int) {
        base.storeBytes(of: value, toByteOffset: j * MemoryLayout<Float>.stride, as: V.self)
    }

    /// Gathers up to eight elements from `j` on, zeros beyond `count`.
    @inline(__always)
    static func loadTail(_ base: UnsafePointer<Float>, _ j: Int, _ count: Int) -> V {
        var lanes = V()
        for k in 0..<(count - j) { lanes[k] = base[j + k] }
        return lanes
    }

    @inline(__always)
    static func storeTail(_ value: V, _ base: UnsafeMutablePointer<Float>, _ j: Int, _ count: Int) {
        for k in 0..<(count - j) { base[j + k] = value[k] }
    }

    /// Runs `rule` over every element: clip the gradient, decay the weight
    /// (`w = w - (w * wd) * lr`), update. Slots not passed are zeros and are not stored.
    @inline(__always)
    static func run<R: Rule>(
        _ rule: R, _ common: Common,
        w: UnsafeMutableBufferPointer<Float>, g: UnsafeBufferPointer<Float>,
        _ s0: UnsafeMutableBufferPointer<Float>? = nil,
        _ s1: UnsafeMutableBufferPointer<Float>? = nil,
        _ s2: UnsafeMutableBufferPointer<Float>? = nil
    ) {
        let count = w.count
        guard count > 0, let wBase = w.baseAddress, let gBase = g.baseAddress else { return }
        let p0 = s0?.baseAddress, p1 = s1?.baseAddress, p2 = s2?.baseAddress
        let transform = common.transform
        let hasDecay = common.decay != nil
        let decay = V(repeating: common.decay ?? 0), lr = V(repeating: common.lr)

        @inline(__always)
        func step(_ wIn: V, _ gIn: V, _ a: inout V, _ b: inout V, _ c: inout V) -> V {
            var wLanes = wIn
            if hasDecay { wLanes = wLanes - wLanes * decay * lr }
            rule.update(w: &wLanes, g: transform.apply(gIn), s0: &a, s1: &b, s2: &c)
            return wLanes
        }

        let wRaw = UnsafeMutableRawPointer(wBase), gRaw = UnsafeRawPointer(gBase)
        let raw0 = p0.map { UnsafeMutableRawPointer($0) }
        let raw1 = p1.map { UnsafeMutableRawPointer($0) }
        let raw2 = p2.map { UnsafeMutableRawPointer($0) }
        var j = 0
        while j + 8 <= count {
            var a = raw0.map { load($0, j) } ?? V()
            var b = raw1.map { load($0, j) } ?? V()
            var c = raw2.map { load($0, j) } ?? V()
            let result = step(load(wRaw, j), load(gRaw, j), &a, &b, &c)
            store(result, wRaw, j)
            if let raw0 { store(a, raw0, j) }
            if let raw1 { store(b, raw1, j) }
            if let raw2 { store(c, raw2, j) }
            j += 8
        }
        if j < count {
            var a = p0.map { loadTail(UnsafePointer($0), j, count) } ?? V()
            var b = p1.map { loadTail(UnsafePointer($0), j, count) } ?? V()
            var c = p2.map { loadTail(UnsafePointer($0), j, count) } ?? V()
            let result = step(loadTail(UnsafePointer(wBase), j, count), loadTail(gBase, j, count), &a, &b, &c)
            storeTail(result, wBase, j, count)
            if let p0 { storeTail(a, p0, j, count) }
            if let p1 { storeTail(b, p1, j, count) }
            if let p2 { storeTail(c, p2, j, count) }
        }
    }
}

/// What went wrong configuring or applying an ``Optimizer``; each message says what to change.
public enum OptimizerError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A hyper-parameter is out of range: its name, the value given and the requirement.
    case invalidHyperparameter(name: String, value: Double, requirement: String)
    /// More than one clipping limit is set (their names).
    case conflictingClipping([String])
    /// AdamW without a weight decay.
    case missingWeightDecay
    /// The number of gradients differs from the number of variables.
    case variableCountMismatch(variables: Int, gradients: Int)
    /// A gradient's element count differs from its variable's.
    case elementCountMismatch(variable: Int, variableCount: Int, gradientCount: Int)
    /// The number of learning-rate multipliers differs from the number of variables.
    case multiplierCountMismatch(variables: Int, multipliers: Int)
    /// A learning-rate multiplier is negative or not finite.
    case invalidMultiplier(variable: Int, value: Float)
    /// The state was built for a different number of variables.
    case variableSetChanged(builtFor: Int, got: Int)
    /// A variable's element count differs from the one the state was built for.
    case variableShapeChanged(variable: Int, builtFor: Int, got: Int)
    /// The (decoded or edited) state does not fit the variables.
    case inconsistentState(String)

    /// A message that says what is wrong and what to change.
    public var description: String {
        switch self {
        case .invalidHyperparameter(let name, let value, let requirement):
            return "\(name) \(requirement), got \(Self.format(value))"
        case .conflictingClipping(let names):
            return "only one of clipNorm, globalClipNorm and clipValue may be set (Keras forbids combining them), got \(names.joined(separator: " and ")); keep one and set the others to nil"
        case .missingWeightDecay:
            return "AdamW needs a weight decay: set weightDecay (Keras's default is 0.004), or use kind .adam for no decay"
        case .variableCountMismatch(let variables, let gradients):
            return "got \(gradients) gradients for \(variables) variables; pass exactly one gradient per variable, in the same order"
        case .elementCountMismatch(let variable, let variableCount, let gradientCount):
            return "gradient \(variable) has \(gradientCount) values but variable \(variable) has \(variableCount); each gradient must have its variable's element count"
        case .multiplierCountMismatch(let variables, let multipliers):
            return "got \(multipliers) learning-rate multipliers for \(variables) variables; pass one per variable, or nil for 1 everywhere"
        case .invalidMultiplier(let variable, let value):
            return "learning-rate multiplier \(variable) must be >= 0 and finite, got \(Self.format(Double(value)))"
        case .variableSetChanged(let builtFor, let got):
            return "the optimizer's state was built for \(builtFor) variables, got \(got); use a new Optimizer (or call reset()) for a different set of variables"
        case .variableShapeChanged(let variable, let builtFor, let got):
            return "variable \(variable) has \(got) values but the optimizer's state was built for \(builtFor); use a new Optimizer (or call reset()) for different variables"
        case .inconsistentState(let detail):
            return "the optimizer's state does not fit the variables: \(detail); restore it from the matching checkpoint or call reset() to start fresh"
        }
    }

    /// Throws ``invalidHyperparameter(name:value:requirement:)`` unless `condition` holds.
    static func require(_ condition: Bool, _ name: String, _ value: Double, _ requirement: String) throws {
        if !condition { throw OptimizerError.invalidHyperparameter(name: name, value: value, requirement: requirement) }
    }

    /// `-1` rather than `-1.0`; other values as Swift prints them.
    private static func format(_ value: Double) -> String {
        if value.isFinite && value == value.rounded() && abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}
