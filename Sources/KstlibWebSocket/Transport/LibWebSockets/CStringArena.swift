// C copies of Swift strings for libwebsockets' configuration structs.
import Glibc

/// C copies of Swift strings that live until `free()`; libwebsockets copies connect strings
/// into its own storage, so they only need to outlive the connect call.
final class CStringArena {
    private var pointers: [UnsafeMutablePointer<CChar>] = []
    func copy(_ text: String) -> UnsafePointer<CChar> {
        let pointer = strdup(text)!
        pointers.append(pointer)
        return UnsafePointer(pointer)
    }
    func free() {
        pointers.forEach { Glibc.free($0) }
        pointers = []
    }
}
