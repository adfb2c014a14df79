// The C tables libwebsockets keeps pointers to for the whole life of a context.
internal import CLibWebSockets

/// Protocol and extension tables, the protocol's name and the idle policy, allocated once and
/// never moved: libwebsockets copies the protocol structs but keeps pointers to the names, the
/// extension table and the retry policy (design notes, sections 2, 7 and 9).
///
/// `@unchecked Sendable`: written once in `init`, then only read (by the service thread).
final class ContextTables: @unchecked Sendable {
    let protocolName: UnsafePointer<CChar>
    let protocols: UnsafeMutablePointer<lws_protocols>
    let extensions: UnsafeMutablePointer<lws_extension>
    let idlePolicy: UnsafeMutablePointer<lws_retry_bo_t>
    private let extensionName: UnsafePointer<CChar>
    private let extensionOffer: UnsafePointer<CChar>

    init() {
        protocolName = UnsafePointer(strdup("kstlib-ws")!)
        protocols = .allocate(capacity: 2)
        protocols.initialize(repeating: lws_protocols(), count: 2)
        protocols[0].name = protocolName
        protocols[0].callback = eventLoopCallback
        // 64 KiB lets a typical message arrive in one RECEIVE callback.
        protocols[0].rx_buffer_size = 64 * 1024

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

    deinit {
        protocols.deallocate()
        extensions.deallocate()
        idlePolicy.deallocate()
        free(UnsafeMutablePointer(mutating: protocolName))
        free(UnsafeMutablePointer(mutating: extensionName))
        free(UnsafeMutablePointer(mutating: extensionOffer))
    }
}

import Glibc
