import COpenSSL
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// SHA-256 through OpenSSL's libcrypto (which uses the CPU's SHA instructions), used to record
/// which file a converted or sliced model came from.
public final class SHA256: @unchecked Sendable {
    private let context: OpaquePointer?

    public init() {
        context = EVP_MD_CTX_new()
        if let context { EVP_DigestInit_ex(context, EVP_sha256(), nil) }
    }

    deinit { EVP_MD_CTX_free(context) }

    /// Adds bytes to the hash.
    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard let context, bytes.count > 0 else { return }
        EVP_DigestUpdate(context, bytes.baseAddress, bytes.count)
    }

    /// The digest as 64 lowercase hex characters.
    public func finalizeHex() -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        if let context { EVP_DigestFinal_ex(context, &digest, &length) }
        let hex = Array("0123456789abcdef")
        return String(digest.flatMap { [hex[Int($0 >> 4)], hex[Int($0 & 15)]] })
    }

    /// The SHA-256 of a whole file, read in 4 MiB chunks.
    public static func hexDigest(ofFile path: String) throws -> String {
        guard let file = fopen(path, "rb") else { throw FormatError.io(file: path, reason: "cannot open to hash") }
        defer { fclose(file) }
        let hasher = SHA256()
        var chunk = [UInt8](repeating: 0, count: 1 << 22)
        while true {
            let count = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            if count == 0 { break }
            chunk.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0.prefix(count))) }
        }
        guard ferror(file) == 0 else { throw FormatError.io(file: path, reason: "read error while hashing") }
        return hasher.finalizeHex()
    }
}
