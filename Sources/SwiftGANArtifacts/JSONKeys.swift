import Foundation

/// Checks that no JSON object in a document repeats a key. JSON parsers (Foundation's included)
/// keep the last of two equal keys without a word, so `{"steps": 10, "steps": 100000}` in a
/// configuration would train whichever value a reader did not see.
public enum JSONKeys {
    /// The first key repeated within one object, as a path ("steps", "modelOptions.width"); nil
    /// when there is none or the text is not JSON (its parser says what is wrong with it then).
    public static func firstDuplicate(in data: Data) -> String? {
        let bytes = [UInt8](data)
        // One entry per open container: the keys seen (nil for an array) and the object's own path.
        var stack: [(keys: Set<String>?, path: String)] = []
        var pendingKey: String?  // the last key read, whose value an object may open next
        var expectingKey = false
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            switch byte {
            case UInt8(ascii: "{"):
                let parent = stack.last?.path ?? ""
                let path = pendingKey.map { parent.isEmpty ? $0 : parent + "." + $0 } ?? parent
                stack.append((keys: [], path: path))
                pendingKey = nil
                expectingKey = true
            case UInt8(ascii: "["):
                stack.append((keys: nil, path: stack.last?.path ?? ""))
                pendingKey = nil
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                guard !stack.isEmpty else { return nil }
                stack.removeLast()
                expectingKey = false
            case UInt8(ascii: ","):
                expectingKey = stack.last?.keys != nil
                pendingKey = nil
            case UInt8(ascii: "\""):
                var end = i + 1
                while end < bytes.count && bytes[end] != UInt8(ascii: "\"") {
                    end += bytes[end] == UInt8(ascii: "\\") ? 2 : 1
                }
                guard end < bytes.count else { return nil }
                if expectingKey, let keys = stack.last?.keys {
                    // Decoding through JSONSerialization unescapes the key as any reader would.
                    let literal = Data(bytes[i...end])
                    let key =
                        (try? JSONSerialization.jsonObject(with: literal, options: .fragmentsAllowed) as? String)
                        ?? String(decoding: bytes[(i + 1)..<end], as: UTF8.self)
                    let path = stack[stack.count - 1].path
                    let named = path.isEmpty ? key : path + "." + key
                    if keys.contains(key) { return named }
                    stack[stack.count - 1].keys!.insert(key)
                    pendingKey = key
                    expectingKey = false
                }
                i = end
            default:
                break
            }
            i += 1
        }
        return nil
    }
}
