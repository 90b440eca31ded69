import Foundation

/// A self-contained HTML page built from parts: text is escaped, pictures are embedded as data
/// URIs and charts as inline SVG, so the file opens offline, anywhere, on its own.
public struct HTMLPage {
    public let title: String
    private var body: [String] = []

    public init(title: String) { self.title = title }

    public static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// A `data:` URI for embedding a file's bytes.
    public static func dataURI(_ data: Data, type: String) -> String {
        "data:\(type);base64," + data.base64EncodedString()
    }

    public mutating func heading(_ text: String, level: Int = 2) {
        body.append("<h\(level)>\(Self.escaped(text))</h\(level)>")
    }
    public mutating func paragraph(_ text: String) { body.append("<p>\(Self.escaped(text))</p>") }
    /// Markup made by the caller (a chart, a figure), added as it is.
    public mutating func raw(_ html: String) { body.append(html) }

    /// A table; the first row is the header.
    public mutating func table(_ rows: [[String]]) {
        guard let header = rows.first else { return }
        let head = "<tr>" + header.map { "<th>\(Self.escaped($0))</th>" }.joined() + "</tr>"
        let cells = rows.dropFirst().map { "<tr>" + $0.map { "<td>\(Self.escaped($0))</td>" }.joined() + "</tr>" }
        body.append("<table>" + head + cells.joined() + "</table>")
    }

    public mutating func image(_ data: Data, type: String = "image/png", alt: String) {
        body.append("<img src=\"\(Self.dataURI(data, type: type))\" alt=\"\(Self.escaped(alt))\">")
    }

    /// Pictures shown one at a time, chosen with a slider (`labels` name them).
    public mutating func slider(_ pictures: [Data], labels: [String], id: String) {
        guard !pictures.isEmpty else { return }
        let uris = pictures.map { "\"\(Self.dataURI($0, type: "image/png"))\"" }.joined(separator: ",")
        let names = labels.map { "\"\(Self.escaped($0))\"" }.joined(separator: ",")
        let last = pictures.count - 1
        body.append(
            """
            <div class="slider"><input type="range" min="0" max="\(last)" value="\(last)" id="\(id)-range">
            <span id="\(id)-label">\(Self.escaped(labels[last]))</span><br>
            <img id="\(id)-image" src="\(Self.dataURI(pictures[last], type: "image/png"))" alt="samples">
            <script>(function () {
              const pictures = [\(uris)], labels = [\(names)];
              const range = document.getElementById("\(id)-range");
              range.addEventListener("input", function () {
                document.getElementById("\(id)-image").src = pictures[range.value];
                document.getElementById("\(id)-label").textContent = labels[range.value];
              });
            })();</script></div>
            """)
    }

    /// The body's markup alone, to nest one page's parts in another.
    public var bodyHTML: String { body.joined(separator: "\n") }

    public var html: String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(Self.escaped(title))</title>
        <style>
        body { font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 1400px; }
        table { border-collapse: collapse; margin: 0.5em 0; } td, th { border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: left; }
        img { image-rendering: pixelated; max-width: 100%; } .runs { display: flex; gap: 2em; flex-wrap: wrap; } .runs > div { flex: 1; min-width: 320px; }
        .warning { color: #a40; }
        </style></head><body>
        <h1>\(Self.escaped(title))</h1>
        \(body.joined(separator: "\n"))
        </body></html>

        """
    }
}

/// A line chart as inline SVG: one or more series over a shared x axis, with the axes' ranges
/// written at their ends. Non-finite points are skipped.
public struct SVGChart {
    public struct Series {
        public let name: String, color: String, x: [Double], y: [Double]
        public init(name: String, color: String, x: [Double], y: [Double]) {
            (self.name, self.color, self.x, self.y) = (name, color, x, y)
        }
    }

    public let title: String
    public let series: [Series]
    public var width = 640, height = 220

    public init(title: String, series: [Series]) { (self.title, self.series) = (title, series) }

    public var svg: String {
        let points = series.flatMap { s in zip(s.x, s.y).filter { $0.0.isFinite && $0.1.isFinite } }
        guard let x0 = points.map(\.0).min(), let x1 = points.map(\.0).max(), let y0 = points.map(\.1).min(),
            let y1 = points.map(\.1).max()
        else {
            return "<p>\(HTMLPage.escaped(title)): no data yet</p>"
        }
        let (left, right, top, bottom) = (60.0, 10.0, 24.0, 30.0)
        let (w, h) = (Double(width) - left - right, Double(height) - top - bottom)
        func px(_ x: Double) -> Double { left + (x1 > x0 ? (x - x0) / (x1 - x0) : 0.5) * w }
        func py(_ y: Double) -> Double { top + (y1 > y0 ? 1 - (y - y0) / (y1 - y0) : 0.5) * h }
        func number(_ v: Double) -> String {
            abs(v) >= 1000 || v == v.rounded() ? String(format: "%.0f", v) : String(format: "%.3g", v)
        }
        var parts = [
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" role=\"img\" aria-label=\"\(HTMLPage.escaped(title))\">",
            "<text x=\"\(left)\" y=\"16\" font-size=\"13\">\(HTMLPage.escaped(title))</text>",
            "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(w)\" height=\"\(h)\" fill=\"none\" stroke=\"#999\"/>",
            "<text x=\"\(left - 4)\" y=\"\(top + 10)\" font-size=\"11\" text-anchor=\"end\">\(number(y1))</text>",
            "<text x=\"\(left - 4)\" y=\"\(top + h)\" font-size=\"11\" text-anchor=\"end\">\(number(y0))</text>",
            "<text x=\"\(left)\" y=\"\(top + h + 16)\" font-size=\"11\">\(number(x0))</text>",
            "<text x=\"\(left + w)\" y=\"\(top + h + 16)\" font-size=\"11\" text-anchor=\"end\">\(number(x1))</text>",
        ]
        for (i, s) in series.enumerated() {
            let path = zip(s.x, s.y).filter { $0.0.isFinite && $0.1.isFinite }.map {
                String(format: "%.1f,%.1f", px($0.0), py($0.1))
            }.joined(separator: " ")
            parts.append("<polyline fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"1.5\" points=\"\(path)\"/>")
            parts.append(
                "<text x=\"\(left + 8 + Double(i) * 150)\" y=\"\(top + 14)\" font-size=\"11\" fill=\"\(s.color)\">\(HTMLPage.escaped(s.name))</text>"
            )
        }
        return (parts + ["</svg>"]).joined()
    }
}
