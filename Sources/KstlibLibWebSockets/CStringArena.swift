// C copies of Swift strings for libwebsockets' configuration structs.
import Glibc

/// C copies of Swift strings that live until `free()`. libwebsockets copies connect strings
/// into its own storage (they need only outlive the call) but keeps pointers to protocol,
/// extension and vhost names (those must outlive the context).
package final class CStringArena {
    private var pointers: [UnsafeMutablePointer<CChar>] = []
    package init() {}
    package func copy(_ text: String) -> UnsafePointer<CChar> {
        let pointer = strdup(text)!
        pointers.append(pointer)
        return UnsafePointer(pointer)
    }
    package func free() {
        pointers.forEach { Glibc.free($0) }
        pointers = []
    }
}
