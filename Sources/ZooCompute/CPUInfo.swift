import Foundation

/// The processor the compute core runs on, for benchmark reports: its model name and the
/// SIMD extensions the kernels can use.
public enum CPUInfo {
    /// The model name (`/proc/cpuinfo`'s "model name" on Linux, `machdep.cpu.brand_string` on
    /// macOS), or "unknown CPU".
    public static let modelName: String = {
        #if os(Linux)
        if let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
           let line = text.split(separator: "\n").first(where: { $0.hasPrefix("model name") || $0.hasPrefix("Model") }),
           let colon = line.firstIndex(of: ":") {
            let name = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if !name.isEmpty { return name }
        }
        #elseif os(macOS)
        var size = 0
        if sysctlbyname("machdep.cpu.brand_string", nil, &size, nil, 0) == 0, size > 1 {
            var bytes = [CChar](repeating: 0, count: size)
            if sysctlbyname("machdep.cpu.brand_string", &bytes, &size, nil, 0) == 0 { return String(cString: bytes) }
        }
        #endif
        return "unknown CPU"
    }()

    /// The kernel implementations this CPU can run, best first ("avx512", "avx2", "portable").
    public static var supportedKernels: [String] { MatrixMultiply.supportedImplementations }
}
