import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `nginx_ingress_controller_nginx_process_*`, the families ingress-nginx's dashboards read
/// about the proxy process (`collectors/process.go`, `collectors/nginx_status.go`): here about
/// Portico's own process, from `/proc/self` and the event loops' connection counts.
enum ProcessMetrics {
    static func render(_ loops: [LoopMetrics], constantLabels labels: String, startTime: Int) -> String {
        var out = ""
        func family(_ name: String, _ type: String, _ help: String, _ samples: [(String, String)]) {
            let full = "nginx_ingress_controller_nginx_process_" + name
            out += "# HELP \(full) \(help)\n# TYPE \(full) \(type)\n"
            for (extra, value) in samples { out += "\(full){\(labels)\(extra)} \(value)\n" }
        }
        let accepted = loops.reduce(0) { $0 + $1.accepted }
        family("connections_total", "counter", "total number of connections with state {accepted, handled}", [
            (",state=\"accepted\"", String(accepted)), (",state=\"handled\"", String(accepted)),
        ])
        family("requests_total", "counter", "total number of client requests", [("", String(loops.reduce(0) { $0 + $1.requests }))])
        let reading = loops.reduce(0) { $0 + $1.reading }
        let writing = loops.reduce(0) { $0 + $1.writing }
        let waiting = loops.reduce(0) { $0 + $1.waiting }
        family("connections", "gauge", "current number of client connections with state {active, reading, writing, waiting}", [
            (",state=\"active\"", String(reading + writing + waiting)), (",state=\"reading\"", String(reading)),
            (",state=\"waiting\"", String(waiting)), (",state=\"writing\"", String(writing)),
        ])
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let statm = Self.numbers("/proc/self/statm")
        let stat = Self.numbers("/proc/self/stat", after: ")")
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        // /proc/self/stat after the command, state (field 3, not a number) left out: ppid
        // (field 4) comes first, so utime (14) and stime (15) are at 10 and 11.
        let cpu = stat.count > 11 ? Double(stat[10] + stat[11]) / ticks : 0
        let io = (try? String(contentsOfFile: "/proc/self/io", encoding: .utf8)) ?? ""
        func ioValue(_ key: String) -> String {
            io.split(separator: "\n").first { $0.hasPrefix(key + ":") }.map { String($0.dropFirst(key.count + 1).trimmingCharacters(in: .whitespaces)) } ?? "0"
        }
        family("num_procs", "gauge", "number of processes", [("", "1")])
        family("cpu_seconds_total", "counter", "Cpu usage in seconds", [("", String(cpu))])
        family("read_bytes_total", "counter", "number of bytes read", [("", ioValue("read_bytes"))])
        family("write_bytes_total", "counter", "number of bytes written", [("", ioValue("write_bytes"))])
        family("resident_memory_bytes", "gauge", "number of bytes of memory in use", [("", String((statm.count > 1 ? statm[1] : 0) * page))])
        family("virtual_memory_bytes", "gauge", "number of bytes of memory in use", [("", String((statm.first ?? 0) * page))])
        family("oldest_start_time_seconds", "gauge", "start time in seconds since 1970/01/01", [("", String(startTime))])
        return out
    }

    /// The numbers of a /proc file (after `marker`, for stat's parenthesised command).
    static func numbers(_ path: String, after marker: String? = nil) -> [Int] {
        guard var text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        if let marker, let range = text.range(of: marker, options: .backwards) { text = String(text[range.upperBound...]) }
        return text.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }
}
