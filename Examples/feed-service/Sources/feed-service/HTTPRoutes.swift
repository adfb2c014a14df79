// The HTTP side: the latest quote and the metrics.
import Hummingbird
import Prometheus

/// GET /quote and GET /metrics.
enum HTTPRoutes {
    static func router(quotes: QuoteBook, registry: PrometheusCollectorRegistry) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("quote") { _, _ -> Response in
            guard let quote = quotes.quote else {
                return text("no quote yet\n", status: .serviceUnavailable, type: "text/plain")
            }
            return text(quote, status: .ok, type: "application/json")
        }
        router.get("metrics") { _, _ -> Response in
            text(registry.emitToString(), status: .ok, type: "text/plain; version=0.0.4")
        }
        return router
    }

    private static func text(_ body: String, status: HTTPResponse.Status, type: String) -> Response {
        Response(
            status: status, headers: [.contentType: type], body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }
}
