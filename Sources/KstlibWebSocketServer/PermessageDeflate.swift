// PermessageDeflate: per-connection tuning of libwebsockets' permessage-deflate extension.

enum PermessageDeflate {
    /// Compressed output buffer: 2^14 = 16 KiB per connection that sends compressed data.
    /// lws's default (2^10) cuts every compressed message into 1 KiB frames: a 20 MiB message
    /// would become ~20,000 fragments, beyond what peers such as Python `websockets` (4096)
    /// accept. The buffer is allocated at the first compressed send only.
    private static let txBufferPowerOfTwo = "14"

    /// Inflate buffer: 2^16 = 64 KiB, the cap lws allows with our 64 KiB rx buffer. lws 4.1
    /// asserts (`priv->rx.avail_out`, process abort) when the last input of a message inflates
    /// to exactly fill this buffer; a bigger buffer makes that far rarer.
    private static let rxBufferPowerOfTwo = "16"

    /// Tunes the extension on `wsi` if the handshake enabled it, and tells whether it did.
    /// Call when the handshake completes (service thread).
    static func configure(_ wsi: ServerWSI) -> Bool {
        // Setting an option fails when the extension is not active on this connection.
        guard wsi.setPermessageDeflateOption("tx_buf_size", to: txBufferPowerOfTwo) else {
            return false
        }
        _ = wsi.setPermessageDeflateOption("rx_buf_size", to: rxBufferPowerOfTwo)
        return true
    }
}
