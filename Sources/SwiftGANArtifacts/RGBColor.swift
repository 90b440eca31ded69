/// An opaque 8-bit sRGB colour.
///
/// The named series colours are matplotlib's "tab10" palette, chosen there to stay distinguishable
/// from one another, so `blue` is (31, 119, 180) rather than pure blue.
///
/// ```swift
/// let lines: [RGBColor] = [.blue, .orange]
/// let background = RGBColor(gray: 72)
/// let custom = RGBColor(200, 30, 30)
/// ```
public struct RGBColor: Hashable, Sendable {
    public var red: UInt8
    public var green: UInt8
    public var blue: UInt8

    public init(_ red: UInt8, _ green: UInt8, _ blue: UInt8) {
        self.red = red
        self.green = green
        self.blue = blue
    }

    public init(gray: UInt8) {
        self.init(gray, gray, gray)
    }

    /// Brightness as a grayscale image shows it (ITU-R BT.601 weights).
    public var luma: UInt8 {
        let weighted: Int = 299 * Int(red) + 587 * Int(green) + 114 * Int(blue)
        return UInt8((weighted + 500) / 1000)
    }

    public static let white = RGBColor(gray: 255)
    public static let black = RGBColor(gray: 0)
    /// The default padding between image-grid tiles: dark enough to frame white digits, light
    /// enough to tell apart from a black background.
    public static let gridGray = RGBColor(gray: 72)

    public static let blue = RGBColor(31, 119, 180)
    public static let orange = RGBColor(255, 127, 14)
    public static let green = RGBColor(44, 160, 44)
    public static let red = RGBColor(214, 39, 40)
    public static let purple = RGBColor(148, 103, 189)
    public static let brown = RGBColor(140, 86, 75)
    public static let pink = RGBColor(227, 119, 194)
    public static let gray = RGBColor(127, 127, 127)
    public static let olive = RGBColor(188, 189, 34)
    public static let cyan = RGBColor(23, 190, 207)

    /// The ten series colours in matplotlib's order, for the `i`-th line of a chart.
    public static let palette: [RGBColor] = [
        .blue, .orange, .green, .red, .purple, .brown, .pink, .gray, .olive, .cyan,
    ]
}
