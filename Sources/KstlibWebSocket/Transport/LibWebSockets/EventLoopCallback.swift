// The one C callback of the client context: finds the Swift object and hands over.
internal import CLibWebSockets
// Also the shim, which includes libwebsockets.h: where another module loads it first, the
// callback constants resolve only with both imported.
internal import CLWSShim

/// The libwebsockets callback for every client connection.
///
/// A file-level function because C function pointers cannot capture context. It recovers the
/// Swift object from libwebsockets' own storage:
/// - `EVENT_WAIT_CANCELLED` arrives on a fake wsi with no user data, so the loop is found
///   through `lws_context_user` (set from `info.user`; the loop outlives its context);
/// - everything else goes to the connection in the wsi's opaque user data. That pointer is
///   unretained: the loop's `live` table keeps the connection alive from the connect call until
///   `WSI_DESTROY`, where the connection clears the pointer before leaving the table;
/// - `GET_THREAD_ID` must name a thread (nonzero), or libwebsockets never asks again on a poll
///   change, and those poll changes are how a ping is seen (see ``PongGuardState``).
func eventLoopCallback(
    _ wsi: OpaquePointer?, _ reason: lws_callback_reasons, _ user: UnsafeMutableRawPointer?,
    _ input: UnsafeMutableRawPointer?, _ length: Int
) -> Int32 {
    guard let wsi else { return 0 }
    let handle = WSI(wsi)
    if reason == LWS_CALLBACK_GET_THREAD_ID {
        // All our libwebsockets calls run on the one service thread: any constant id will do.
        if let connection = handle.connection {
            connection.pollChanged(wsi: handle)
        } else {
            // The service-thread query, on a fake wsi (see PongGuardCapability).
            PongGuardCapability.answeredServiceThreadQuery()
        }
        return 1
    }
    if reason == LWS_CALLBACK_EVENT_WAIT_CANCELLED {
        // Must return 0: nonzero closes the event pipe, and the next cancel crashes.
        guard let context = lws_get_context(wsi), let raw = lws_context_user(context) else { return 0 }
        Unmanaged<EventLoop>.fromOpaque(raw).takeUnretainedValue().drain(context: context)
        return 0
    }
    guard let connection = handle.connection else { return 0 }
    let event = ConnectionEvent(reason, wsi: handle, user: user, input: input, length: length)
    return connection.handle(event, wsi: handle)
}
