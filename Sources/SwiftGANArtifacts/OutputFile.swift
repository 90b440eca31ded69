import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Checks on a file a command is asked to write, before any work: it carries its format's
/// extension, and it is none of the command's inputs under another name (the same device and
/// inode: a link, a `./` path, a hard link). `swiftgan sample --npy R/generator.safetensors`
/// would otherwise replace the checkpoint it reads with samples.
public enum OutputFile {
    /// What is wrong with writing `path` (named after `option`) as a `.ext` file, or nil.
    public static func problem(
        with path: String, option: String, extension ext: String, inputs: [String]
    ) -> String? {
        guard path.lowercased().hasSuffix("." + ext) else {
            return
                "\(option) writes a .\(ext) file; give a name ending in .\(ext), not '\(FormatError.printable(path))'"
        }
        var output = stat()
        // A file that does not exist yet cannot be an input.
        guard stat(path, &output) == 0 else { return nil }
        if output.st_mode & S_IFMT == S_IFDIR { return "\(option) \(FormatError.printable(path)) is a folder" }
        for input in inputs {
            var info = stat()
            if stat(input, &info) == 0 && info.st_dev == output.st_dev && info.st_ino == output.st_ino {
                return
                    "\(option) \(FormatError.printable(path)) is the input \(FormatError.printable(input)); writing it would destroy it"
            }
        }
        return nil
    }
}
