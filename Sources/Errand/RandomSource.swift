/// Where the engine draws its random numbers: the sample that places a retry's wait in its jitter band. The seam
/// tests replace (with a fixed sample) to pin a jittered wait, beside ``TimeSource``.
public protocol RandomSource: Sendable {
    /// A value in -1...1 (see ``RetryPolicy/delay(afterFailedAttempts:jitterSample:)``).
    func jitterSample() -> Double
}

/// Swift's system random number generator.
public struct SystemRandomSource: RandomSource {
    public init() {}

    public func jitterSample() -> Double { Double.random(in: -1...1) }
}

/// Always the same sample: for tests.
public struct FixedRandomSource: RandomSource {
    public let sample: Double

    /// - Parameter sample: the value every draw returns, in -1...1.
    public init(_ sample: Double) { self.sample = sample }

    public func jitterSample() -> Double { sample }
}
