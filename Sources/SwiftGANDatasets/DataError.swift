/// A problem with a data file or data source. The description names the file and what is wrong.
public struct DataError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
