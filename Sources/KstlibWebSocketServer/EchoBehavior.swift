// EchoBehavior: /echo and /control, which send every message back unchanged.

/// Echoes each message with its type and exact bytes, in 16 KiB frames. On `/control`, text
/// messages that parse as a ControlCommand are executed instead of echoed.
final class EchoBehavior: ConnectionBehavior {
    private let acceptsCommands: Bool

    init(acceptsCommands: Bool) {
        self.acceptsCommands = acceptsCommands
    }

    func didOpen(_ connection: ServerConnection) {}

    func didReceive(_ message: PayloadBuffer, isBinary: Bool, on connection: ServerConnection) {
        if acceptsCommands, !isBinary, message.count <= ControlCommand.maxLength,
            let command = ControlCommand(String(decoding: message.bytes, as: UTF8.self))
        {
            execute(command, on: connection)
            return
        }
        // The reassembly buffer already has the frame-header headroom: send it as it is.
        connection.send(message, isBinary: isBinary)
    }

    private func execute(_ command: ControlCommand, on connection: ServerConnection) {
        switch command {
        case .close(let code, let reason):
            connection.close(code: code, reason: reason, afterQueued: true)
        case .drop:
            connection.drop()
        case .send(let count):
            guard count > 0 else { return }
            for seq in 1...count {
                connection.send(text: "{\"seq\":\(seq)}")
            }
        }
    }
}
