// UpgradeRejection: the HTTP answer to an upgrade request the server refuses.
//
// Refusing an upgrade in the protocol filter callback makes lws 4.1 close the socket without any
// response, which clients report as a malformed handshake. lws_return_http_status does answer
// there, but with an "HTTP/1.0" status line (the request version is not recorded yet on the
// upgrade path), which strict clients such as Python `websockets` refuse. So the response is
// written raw: the client then sees a plain, parseable HTTP error status.

enum UpgradeRejection {
    /// Writes a minimal `HTTP/1.1 <status>` response with an empty body on `wsi`.
    /// The caller then refuses the upgrade, which closes the connection.
    static func send(status: Int, reason: String, on wsi: ServerWSI) {
        let response = "HTTP/1.1 \(status) \(reason)\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
        var bytes = Array(response.utf8)
        // As they are: no websocket framing yet at this point.
        _ = wsi.writeRaw(&bytes)
    }
}
