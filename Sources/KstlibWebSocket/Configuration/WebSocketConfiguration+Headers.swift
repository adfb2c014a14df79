// The request headers as name-value pairs: the deprecated tuple view and what the transport sends.
import HTTPTypes

extension WebSocketConfiguration {
    /// One request header as the application wrote it, valid or not.
    struct RawHeader: Sendable, Hashable {
        let name: String
        let value: String
    }

    /// Extra HTTP request headers, as name-value pairs.
    ///
    /// Setting it fills ``additionalHeaders``; a pair no `HTTPField` can hold is kept aside so that
    /// ``WebSocketManager/connect()`` refuses it, naming the header, as before.
    @available(*, deprecated, renamed: "additionalHeaders", message: "use HTTPFields")
    public var headers: [(name: String, value: String)] {
        get { rawHeaders }
        set {
            additionalHeaders = [:]
            unrepresentableHeaders = []
            for (name, value) in newValue {
                if let fieldName = HTTPField.Name(name), HTTPField.isValidValue(value) {
                    additionalHeaders.append(HTTPField(name: fieldName, value: value))
                } else {
                    unrepresentableHeaders.append(RawHeader(name: name, value: value))
                }
            }
        }
    }

    /// Every request header the application set, valid ones first: what is checked before
    /// connecting, and (once checked) what is sent.
    var rawHeaders: [(name: String, value: String)] {
        additionalHeaders.map { ($0.name.rawName, $0.value) } + unrepresentableHeaders.map { ($0.name, $0.value) }
    }
}
