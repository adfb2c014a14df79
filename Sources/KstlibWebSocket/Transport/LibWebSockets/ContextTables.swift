// The client context's creation info and the C tables it keeps pointers to for its whole life.
internal import CLibWebSockets
internal import CLWSShim
import KstlibLibWebSockets

/// Protocol and extension tables, the protocol's name and the idle policy, allocated once and
/// never moved: libwebsockets copies the protocol structs but keeps pointers to the names, the
/// extension table and the retry policy.
///
/// `@unchecked Sendable`: written once in `init`, then only read (by the service thread).
final class ContextTables: @unchecked Sendable {
    let protocolName: UnsafePointer<CChar>
    /// The protocol entry of connections that offer permessage-deflate (see ``rxBufferSize(compressionOffered:)``).
    let inflatingProtocolName: UnsafePointer<CChar>
    let protocols: UnsafeMutablePointer<lws_protocols>
    let extensions: UnsafeMutablePointer<lws_extension>
    let idlePolicy: UnsafeMutablePointer<lws_retry_bo_t>
    private let extensionName: UnsafePointer<CChar>
    private let extensionOffer: UnsafePointer<CChar>

    /// `pt_serv_buf_size`: room for the upgrade request we write; it also caps every read.
    static let serviceBufferSize = 64 * 1024

    /// libwebsockets after 4.3 (`lws_ws_client_rx_parser_block`, 4.5 and 5.0) calls RECEIVE for
    /// every frame of a read without looking at rx flow control: a pause asked for in RECEIVE
    /// stops the next read, not the rest of this one. Up to 4.3 it stops before the next byte.
    /// The headers' major.minor is the loaded library's (``LibWebSocketsRuntime``).
    static let parsesWholeReads = LibraryVersion.isAtLeast(4, 4)

    /// `rx_buffer_size`, which sizes each read once the connection is up: 64 KiB lets a typical
    /// message arrive in one RECEIVE callback and a large one in few reads.
    ///
    /// Where a whole read is delivered after a pause (``parsesWholeReads``), backpressure
    /// overshoots by one read's frames: at most 64 KiB of messages, bounded in bytes. Inflated
    /// messages are not: a 64 KiB read of permessage-deflate frames can hold tens of thousands
    /// of small messages, so connections that offer compression read 4 KiB at a time there
    /// (their own protocol entry, ``inflatingProtocolName``).
    static func rxBufferSize(compressionOffered: Bool) -> Int {
        compressionOffered && parsesWholeReads ? 4 * 1024 : 64 * 1024
    }

    /// The most bytes one read brings once the connection is up (`rx_buffer_size + LWS_PRE`,
    /// capped by the service buffer). The read that carries the upgrade response may fill the
    /// service buffer: the frames that came with it are parsed in one go too.
    static func largestRead(compressionOffered: Bool) -> Int {
        min(rxBufferSize(compressionOffered: compressionOffered) + Int(LWSS_PRE), serviceBufferSize)
    }

    init() {
        protocolName = UnsafePointer(strdup("kstlib-ws")!)
        inflatingProtocolName = UnsafePointer(strdup("kstlib-ws-inflating")!)
        protocols = .allocate(capacity: 3)
        protocols.initialize(repeating: lws_protocols(), count: 3)
        for (index, (name, offered)) in [(protocolName, false), (inflatingProtocolName, true)].enumerated() {
            protocols[index].name = name
            protocols[index].callback = eventLoopCallback
            protocols[index].rx_buffer_size = Self.rxBufferSize(compressionOffered: offered)
            // Left at 0, the send size would follow `rx_buffer_size`: sends stay at 64 KiB.
            protocols[index].tx_packet_size = 64 * 1024
        }

        extensionName = UnsafePointer(strdup("permessage-deflate")!)
        extensionOffer = UnsafePointer(strdup("permessage-deflate; client_max_window_bits")!)
        extensions = .allocate(capacity: 2)
        extensions.initialize(repeating: lws_extension(), count: 2)
        extensions[0].name = extensionName
        extensions[0].callback = lws_extension_callback_pm_deflate
        extensions[0].client_offer = extensionOffer

        idlePolicy = .allocate(capacity: 1)
        idlePolicy.initialize(to: lws_retry_bo_t())
    }

    /// The client context: no listener, vhosts of our own (one per trust store, client identity
    /// or proxy: ``VhostRegistry``), OpenSSL initialised. `user` comes back from
    /// `lws_context_user` in the callback (``eventLoopCallback``).
    func contextInfo(user: UnsafeMutableRawPointer) -> lws_context_creation_info {
        var info = lws_context_creation_info()
        info.port = CONTEXT_PORT_NO_LISTEN
        info.protocols = UnsafePointer(protocols)
        info.extensions = UnsafePointer(extensions)
        info.options =
            UInt64(LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT) | UInt64(LWS_SERVER_OPTION_JUST_USE_RAW_ORIGIN)
            | UInt64(LWS_SERVER_OPTION_EXPLICIT_VHOSTS)
        info.pt_serv_buf_size = UInt32(Self.serviceBufferSize)
        // Our own timers govern connects; these are only backstops.
        info.timeout_secs = 120
        lwss_set_connect_timeout(&info, 120)
        info.fd_limit_per_thread = FileDescriptorLimit.tableSize
        info.user = user
        return info
    }

    deinit {
        protocols.deallocate()
        extensions.deallocate()
        idlePolicy.deallocate()
        free(UnsafeMutablePointer(mutating: protocolName))
        free(UnsafeMutablePointer(mutating: inflatingProtocolName))
        free(UnsafeMutablePointer(mutating: extensionName))
        free(UnsafeMutablePointer(mutating: extensionOffer))
    }
}

import Glibc

extension EventLoop {
    /// The name a client connection binds to (`local_protocol_name`), which sets its read size.
    func protocolName(compressionOffered: Bool) -> UnsafePointer<CChar> {
        compressionOffered ? tables.inflatingProtocolName : tables.protocolName
    }

    /// A zeroed retry/idle policy: `secs_since_valid_hangup == 0` turns off libwebsockets' own
    /// keepalive so ours can report a distinct ping timeout and send a proper close.
    var idlePolicy: UnsafePointer<lws_retry_bo_t> { UnsafePointer(tables.idlePolicy) }
}
