/// A small RFC 4180 reader for file lists: comma-separated fields, double-quoted fields that may
/// hold commas, quotes ("") and newlines; CRLF or LF line ends.
enum CSVRows {
    static func parse(_ text: String, file: String) throws -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        var afterQuote = false
        var iterator = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = iterator.next()
        while let scalar = pending {
            pending = iterator.next()
            if quoted {
                if scalar == "\"" {
                    if pending == "\"" { field.unicodeScalars.append("\""); pending = iterator.next() } else { quoted = false; afterQuote = true }
                } else {
                    field.unicodeScalars.append(scalar)
                }
                continue
            }
            switch scalar {
            case "\"" where field.isEmpty && !afterQuote:
                quoted = true
            case ",":
                row.append(field); field = ""; afterQuote = false
            case "\r" where pending == "\n":
                continue
            case "\n", "\r":
                row.append(field); rows.append(row); row = []; field = ""; afterQuote = false
            default:
                guard !afterQuote else {
                    throw ImageError.invalidArgument("\(file): row \(rows.count + 1): text after a closing quote (expected a comma or the end of the line)")
                }
                field.unicodeScalars.append(scalar)
            }
        }
        guard !quoted else { throw ImageError.invalidArgument("\(file): row \(rows.count + 1): a quoted field is not closed") }
        if !field.isEmpty || !row.isEmpty || afterQuote { row.append(field); rows.append(row) }
        return rows
    }
}
