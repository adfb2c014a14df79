// A whole simulated run: the manager's configuration and the steps, both drawn from one seed.
@testable import KstlibWebSocket

/// What one seed stands for: a configuration and a list of steps.
struct SimulationSchedule: Sendable, CustomStringConvertible {
    var seed: UInt64
    var autoReconnect: Bool
    var strategy: ReconnectStrategy
    var maxReconnectAttempts: Int
    var gapless: Bool
    var queueSize: Int
    var policy: QueueOverflowPolicy
    var maxConnectionAge: Duration?
    /// A send buffer of a few bytes, so sends wait for the network.
    var smallSendBuffer: Bool
    var outgoingRate: WebSocketConfiguration.OutgoingRate?
    var steps: [SimulationStep]

    init(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        self.seed = seed
        autoReconnect = random.chance(70)
        strategy = [.exponentialBackoff, .fixedDelay, .immediate].randomElement(using: &random)!
        maxReconnectAttempts = Int.random(in: 1...4, using: &random)
        gapless = random.chance(75)
        queueSize = Int.random(in: 2...8, using: &random)
        policy = QueueOverflowPolicy.allCases.randomElement(using: &random)!
        maxConnectionAge = random.chance(25) ? .seconds(Int64.random(in: 20...60, using: &random)) : nil
        smallSendBuffer = random.chance(40)
        outgoingRate =
            random.chance(30) ? .init(messages: Int.random(in: 1...3, using: &random), per: .seconds(1)) : nil
        steps =
            [.connect]
            + (0..<Int.random(in: 10...60, using: &random)).map { _ in SimulationStep.random(using: &random) }
    }

    var configuration: WebSocketConfiguration {
        testConfiguration {
            $0.autoReconnect = autoReconnect
            $0.reconnectStrategy = strategy
            $0.reconnectDelay = .milliseconds(500)
            $0.maxReconnectDelay = .seconds(4)
            $0.maxReconnectAttempts = maxReconnectAttempts
            $0.gaplessRotation = gapless
            $0.rotationOverlapTimeout = .seconds(3)
            $0.queueSize = queueSize
            $0.queueOverflowPolicy = policy
            $0.connectionTimeout = .seconds(4)
            $0.closeTimeout = .seconds(2)
            $0.sendTimeout = .seconds(3)
            $0.maxConnectionAge = maxConnectionAge
            $0.disconnectMargin = .seconds(5)
            if smallSendBuffer { $0.sendBuffer = .init(highWatermark: 8, lowWatermark: 4) }
            $0.outgoingRate = outgoingRate
        }
    }

    var description: String {
        var lines = [
            "seed \(seed): autoReconnect \(autoReconnect), \(strategy), \(maxReconnectAttempts) attempts, gapless \(gapless), "
                + "queue \(queueSize) \(policy), maxConnectionAge \(maxConnectionAge.map { "\($0)" } ?? "nil"), "
                + "small send buffer \(smallSendBuffer), outgoing rate \(outgoingRate.map { "\($0)" } ?? "nil")"
        ]
        lines += steps.enumerated().map { "  \($0.offset + 1). \($0.element)" }
        return lines.joined(separator: "\n")
    }
}
