/// Host name → value lookup that works on raw, mixed-case bytes, so the request path never builds
/// a String or allocates to find its virtual host.
///
/// Exact names are checked before one-label wildcards, as nginx checks exact `server_name`s
/// before regex ones and the Ingress API gives an exact host precedence; the Gateway API's
/// any-depth wildcards come last, the longest suffix first.
public struct HostTable<Value: Sendable>: Sendable {
    private var exact: ByteKeyedTable<Value>
    private var wildcards: ByteKeyedTable<Value>
    private var subdomains: ByteKeyedTable<Value>

    public init() {
        self.exact = ByteKeyedTable()
        self.wildcards = ByteKeyedTable()
        self.subdomains = ByteKeyedTable()
    }

    public var isEmpty: Bool { self.exact.isEmpty && self.wildcards.isEmpty && self.subdomains.isEmpty }

    /// Inserts or replaces the value for `pattern`.
    public mutating func set(_ pattern: HostPattern, _ value: Value) {
        switch pattern {
        case .exact(let name): self.exact.set(Array(name.utf8), value)
        case .wildcard(let suffix): self.wildcards.set(Array(suffix.utf8), value)
        case .subdomains(let suffix): self.subdomains.set(Array(suffix.utf8), value)
        }
    }

    public func value(for pattern: HostPattern) -> Value? {
        switch pattern {
        case .exact(let name): Array(name.utf8).withUnsafeBytes { self.exact.value(for: $0) }
        case .wildcard(let suffix): Array(suffix.utf8).withUnsafeBytes { self.wildcards.value(for: $0) }
        case .subdomains(let suffix): Array(suffix.utf8).withUnsafeBytes { self.subdomains.value(for: $0) }
        }
    }

    /// Looks up a host given as bytes (already stripped of its port); case is ignored.
    public func lookup(_ host: UnsafeRawBufferPointer) -> Value? {
        if let value = self.exact.value(for: host) { return value }
        guard let dot = host.firstIndex(of: UInt8(ascii: ".")), dot > 0 else { return nil }
        for index in 0..<dot where !HostBytes.isLabelByte(host[index]) { return nil }
        if !self.wildcards.isEmpty, let value = self.wildcards.value(for: UnsafeRawBufferPointer(rebasing: host[(dot + 1)...])) {
            return value
        }
        guard !self.subdomains.isEmpty else { return nil }
        // Every suffix after a dot, longest first.
        var index = dot
        while index < host.count {
            if host[index] == UInt8(ascii: "."), index + 1 < host.count,
                let value = self.subdomains.value(for: UnsafeRawBufferPointer(rebasing: host[(index + 1)...]))
            {
                return value
            }
            index += 1
        }
        return nil
    }

    /// Convenience for tests and tools.
    public func lookup(_ host: String) -> Value? {
        var host = host
        return host.withUTF8 { self.lookup(UnsafeRawBufferPointer($0)) }
    }
}

/// Open-addressing hash table keyed by lower-cased bytes; lookups fold case on the fly.
struct ByteKeyedTable<Value: Sendable>: Sendable {
    private var keys: [[UInt8]] = []
    private var values: [Value] = []
    private var slots: [Int32] = []

    var isEmpty: Bool { self.keys.isEmpty }

    mutating func set(_ key: [UInt8], _ value: Value) {
        let key = key.map(HostBytes.lower)
        let found = key.withUnsafeBytes { self.index(of: $0) }
        if let found {
            self.values[found] = value
            return
        }
        self.keys.append(key)
        self.values.append(value)
        // Grow by doubling at half load: building a table of n hosts is O(n), not O(n²).
        if self.keys.count * 2 > self.slots.count {
            self.rehash()
        } else {
            self.place(self.keys.count - 1)
        }
    }

    func value(for key: UnsafeRawBufferPointer) -> Value? {
        guard let index = self.index(of: key) else { return nil }
        return self.values[index]
    }

    private func index(of key: UnsafeRawBufferPointer) -> Int? {
        guard !self.slots.isEmpty else { return nil }
        let mask = self.slots.count - 1
        var slot = Int(truncatingIfNeeded: Self.hash(key)) & mask
        while true {
            let entry = Int(self.slots[slot])
            if entry < 0 { return nil }
            if Self.equal(self.keys[entry], key) { return entry }
            slot = (slot + 1) & mask
        }
    }

    private mutating func rehash() {
        var capacity = 8
        while capacity < self.keys.count * 4 { capacity <<= 1 }
        self.slots = [Int32](repeating: -1, count: capacity)
        for entry in self.keys.indices { self.place(entry) }
    }

    private mutating func place(_ entry: Int) {
        let mask = self.slots.count - 1
        var slot = self.keys[entry].withUnsafeBytes { Int(truncatingIfNeeded: Self.hash($0)) } & mask
        while self.slots[slot] >= 0 { slot = (slot + 1) & mask }
        self.slots[slot] = Int32(entry)
    }

    /// FNV-1a over lower-cased bytes.
    static func hash(_ key: UnsafeRawBufferPointer) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key {
            hash = (hash ^ UInt64(HostBytes.lower(byte))) &* 0x100_0000_01b3
        }
        return hash
    }

    static func equal(_ stored: [UInt8], _ key: UnsafeRawBufferPointer) -> Bool {
        guard stored.count == key.count else { return false }
        for index in 0..<stored.count where stored[index] != HostBytes.lower(key[index]) { return false }
        return true
    }
}
