import Foundation

/// A learning rate as a function of the optimiser step, computed exactly as Keras 3 computes it.
///
/// Keras evaluates a schedule in float32: the initial rate is converted to a float32 tensor and
/// every later operation (divisions, `floor`, `power`, `cos`, ...) runs on float32 scalars, with
/// Python floats rounded to float32 once where they meet a tensor. ``float32Rate(at:)`` repeats
/// those operations in the same order; ``rate(at:)`` widens that value to `Double`. So
/// `.constant(0.01).rate(at: 0)` is `0.009999999776482582`, the value Keras's float32
/// `learning_rate` variable holds.
///
/// The step Keras passes is the optimiser's `iterations` counter *before* it is incremented for
/// the current update: `BaseOptimizer._backend_apply_gradients` reads `self.learning_rate`,
/// which calls `self._learning_rate(self._iterations)`, and `BaseOptimizer.apply` only runs
/// `self._iterations.assign_add(1)` afterwards. The first update therefore uses `rate(at: 0)`.
public enum LearningRateSchedule: Codable, Sendable, Equatable {
    /// A fixed learning rate (Keras: a float `learning_rate`, stored as a float32 variable).
    case constant(Double)

    /// `initial * factor ^ floor(step / every)`: Keras
    /// `ExponentialDecay(initial, decay_steps: every, decay_rate: factor, staircase: True)`.
    ///
    /// In float32: `p = floor(Float(step) / Float(every))`,
    /// `rate = Float(initial) * pow(Float(factor), p)`.
    case step(initial: Double, factor: Double, every: Int)

    /// Keras `CosineDecay(initial, decay_steps, alpha, warmup_target, warmup_steps)`.
    ///
    /// Without a warm-up target (all float32, `s = min(Float(step), Float(decaySteps))`):
    /// `cosineDecayed = 0.5 * (1 + cos(Float(pi) * (s / Float(decaySteps))))`,
    /// `decayed = Float(1 - alpha) * cosineDecayed + Float(alpha)`,
    /// `rate = Float(initial) * decayed`.
    ///
    /// With a warm-up target, `s = min(Float(step), Float(decaySteps) + Float(warmupSteps))`;
    /// while `s < Float(warmupSteps)` the rate rises linearly,
    /// `rate = (Float(warmupTarget) - Float(initial)) * (s / Float(warmupSteps)) + Float(initial)`;
    /// afterwards it is the cosine decay above applied to `s - Float(warmupSteps)` and starting
    /// from `Float(warmupTarget)` instead of `initial`. Keras picks the branch with `ops.cond`,
    /// which JAX compiles with XLA even when called eagerly, and XLA's CPU backend fuses each
    /// `a * b + c` there into one fused multiply-add (a single rounding). So on this path both
    /// `delta * fraction + initial` and `Float(1 - alpha) * cosineDecayed + Float(alpha)` are
    /// computed with `addingProduct`, which reproduces Keras bit for bit; the path without a
    /// warm-up target runs op by op in Keras and rounds after every operation here too.
    case cosine(initial: Double, decaySteps: Int, alpha: Double = 0, warmupTarget: Double? = nil, warmupSteps: Int = 0)

    /// The learning rate for the update made when the optimiser's `iterations` counter is
    /// `step` (Keras passes the counter before incrementing it, so the first update uses step
    /// 0): Keras's float32 value, widened to `Double`.
    public func rate(at step: Int) -> Double {
        Double(float32Rate(at: step))
    }

    /// The learning rate for step `step` in float32, computed in the same operation order as
    /// Keras's schedule `__call__` (see the case descriptions for the formulas). This is the
    /// value the optimiser uses.
    public func float32Rate(at step: Int) -> Float {
        let globalStep = Float(step)
        switch self {
        case .constant(let value):
            return Float(value)
        case .step(let initial, let factor, let every):
            let p = (globalStep / Float(every)).rounded(.down)
            return Float(initial) * Foundation.pow(Float(factor), p)
        case .cosine(let initial, let decaySteps, let alpha, let warmupTarget, let warmupSteps):
            let initialRate = Float(initial)
            let decaySteps32 = Float(decaySteps)
            guard let warmupTarget else {
                return Self.cosineDecay(
                    step: Swift.min(globalStep, decaySteps32), decaySteps: decaySteps32,
                    from: initialRate, alpha: alpha, fused: false)
            }
            let target = Float(warmupTarget)
            let warmupSteps32 = Float(warmupSteps)
            let limited = Swift.min(globalStep, decaySteps32 + warmupSteps32)
            if limited < warmupSteps32 {
                let completedFraction = limited / warmupSteps32
                let totalStepDelta = target - initialRate
                // XLA-compiled `ops.cond` branch: `delta * fraction + initial` is one FMA.
                return initialRate.addingProduct(totalStepDelta, completedFraction)
            }
            return Self.cosineDecay(
                step: limited - warmupSteps32, decaySteps: decaySteps32, from: target, alpha: alpha, fused: true)
        }
    }

    /// Keras `CosineDecay._decay_function` in float32; `fused` when Keras runs it inside the
    /// XLA-compiled `ops.cond` (warm-up configured), where `(1 - alpha) * c + alpha` is an FMA.
    private static func cosineDecay(step: Float, decaySteps: Float, from rate: Float, alpha: Double, fused: Bool) -> Float {
        let completedFraction = step / decaySteps
        let pi = Float(Double.pi)
        let cosineDecayed = 0.5 * (1 + Foundation.cos(pi * completedFraction))
        // `(1 - self.alpha)` is a Python float subtraction, rounded to float32 afterwards.
        let oneMinusAlpha = Float(1 - alpha)
        let decayed = fused
            ? Float(alpha).addingProduct(oneMinusAlpha, cosineDecayed)
            : oneMinusAlpha * cosineDecayed + Float(alpha)
        return rate * decayed
    }

    /// Checks the schedule's parameters and throws an ``OptimizerError`` that says what to
    /// change: rates must be finite (`constant` and `step` rates > 0; a cosine start may be 0
    /// only with a warm-up target), `every`/`decaySteps` > 0 (Keras's own check), `factor` > 0,
    /// `alpha` in [0, 1], `warmupSteps` >= 0.
    public func validate() throws {
        switch self {
        case .constant(let value):
            try OptimizerError.require(value > 0 && value.isFinite, "learning rate", value, "must be > 0 and finite")
        case .step(let initial, let factor, let every):
            try OptimizerError.require(initial > 0 && initial.isFinite, "step schedule initial learning rate", initial, "must be > 0 and finite")
            try OptimizerError.require(factor > 0 && factor.isFinite, "step schedule factor", factor, "must be > 0 and finite (use a value below 1 to decay)")
            try OptimizerError.require(every > 0, "step schedule 'every'", Double(every), "must be > 0 steps")
        case .cosine(let initial, let decaySteps, let alpha, let warmupTarget, let warmupSteps):
            if warmupTarget == nil {
                try OptimizerError.require(initial > 0 && initial.isFinite, "cosine schedule initial learning rate", initial, "must be > 0 and finite (it may be 0 only with a warmupTarget)")
            } else {
                try OptimizerError.require(initial >= 0 && initial.isFinite, "cosine schedule initial learning rate", initial, "must be >= 0 and finite")
            }
            try OptimizerError.require(decaySteps > 0, "cosine schedule decaySteps", Double(decaySteps), "must be > 0")
            try OptimizerError.require(alpha >= 0 && alpha <= 1, "cosine schedule alpha", alpha, "must be in [0, 1] (the final rate as a fraction of the start)")
            if let warmupTarget {
                try OptimizerError.require(warmupTarget > 0 && warmupTarget.isFinite, "cosine schedule warmupTarget", warmupTarget, "must be > 0 and finite, or nil for no warm-up")
            }
            try OptimizerError.require(warmupSteps >= 0, "cosine schedule warmupSteps", Double(warmupSteps), "must be >= 0")
        }
    }
}
