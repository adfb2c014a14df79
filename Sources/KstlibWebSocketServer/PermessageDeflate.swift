// PermessageDeflate: per-connection tuning of libwebsockets' permessage-deflate extension.
internal import CLibWebSockets

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
    /// Call in LWS_CALLBACK_ESTABLISHED (service thread).
    static func configure(_ wsi: OpaquePointer) -> Bool {
        // lws_set_extension_option returns -1 when the extension is not active on this wsi.
        guard lws_set_extension_option(wsi, "permessage-deflate", "tx_buf_size", txBufferPowerOfTwo) == 0 else {
            return false
        }
        _ = lws_set_extension_option(wsi, "permessage-deflate", "rx_buf_size", rxBufferPowerOfTwo)
        return true
    }
}
