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

    /// The SHA-256 of a whole file, read in 1 MiB chunks (which stay in the core's cache
    /// between the read and the hash).
    public static func hexDigest(ofFile path: String) throws -> String {
        try hexDigest(ofFile: path, isCancelled: { false })
    }

    /// As `hexDigest(ofFile:)`, checking `isCancelled` between chunks (then throwing).
    static func hexDigest(ofFile path: String, isCancelled: () -> Bool) throws -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FormatError.io(file: path, reason: "cannot open to hash (\(String(cString: strerror(errno))))") }
        defer { close(fd) }
        let hasher = SHA256()
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 4096)
        defer { chunk.deallocate() }
        while true {
            if isCancelled() { throw FormatError.io(file: path, reason: "hashing cancelled") }
            let count = read(fd, chunk.baseAddress, chunk.count)
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw FormatError.io(file: path, reason: "read error while hashing (\(String(cString: strerror(errno))))") }
            if count == 0 { break }
            hasher.update(UnsafeRawBufferPointer(rebasing: chunk.prefix(count)))
        }
        return hasher.finalizeHex()
    }
}
