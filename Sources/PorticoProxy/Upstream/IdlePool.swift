import NIOCore

/// What the idle pool needs of a connection.
protocol PoolableConnection: AnyObject {
    associatedtype Key: Hashable
    /// Connections with equal keys are interchangeable.
    var poolKey: Key { get }
    var isActive: Bool { get }
    /// When it was parked (set by the pool).
    var idleSince: NIODeadline { get set }
    var isPooled: Bool { get set }
    /// Exchanges it has carried (counted by the pool at each release).
    var uses: Int { get set }
}

/// Idle keep-alive upstream connections, as a value: it decides what is reused, parked or
/// dropped, with `now` passed in, and leaves closing to its caller (so a close that reports
/// back never re-enters it). Last in, first out per key, so the warmest connection is reused
/// and surplus ones age out.
struct IdlePool<Connection: PoolableConnection> {
    private var idle: [Connection.Key: [Connection]] = [:]
    /// `upstream-keepalive-connections`, `-timeout` and `-requests`: settable, as a ConfigMap
    /// change reaches a loop's pool without emptying it.
    var maxIdlePerKey: Int
    var idleTimeout: TimeAmount
    var maxUses: Int

    init(maxIdlePerKey: Int, idleTimeout: TimeAmount, maxUses: Int = 10_000) {
        self.maxIdlePerKey = maxIdlePerKey
        self.idleTimeout = idleTimeout
        self.maxUses = maxUses
    }

    /// An idle, open connection for `key`, and the stale ones met on the way (closed or idle
    /// past `idleTimeout`: the caller closes them). With `maxIdle`, only a connection idle for
    /// less than that is taken (the others stay for requests that may be retried).
    mutating func checkout(_ key: Connection.Key, now: NIODeadline, maxIdle: TimeAmount? = nil) -> (Connection?, stale: [Connection]) {
        if let maxIdle, let warmest = self.idle[key]?.last, now - warmest.idleSince >= maxIdle { return (nil, []) }
        // Taken out and put back rather than mutated through the subscript: the dictionary's
        // nested `_modify` coroutines heap-allocate their frames, three mallocs per request.
        guard var parked = self.idle.removeValue(forKey: key) else { return (nil, []) }
        defer { self.idle[key] = parked }  // kept when empty, so the next release does not allocate
        var stale: [Connection] = []
        while let connection = parked.popLast() {
            connection.isPooled = false
            if connection.isActive, now - connection.idleSince < self.idleTimeout { return (connection, stale) }
            stale.append(connection)
        }
        return (nil, stale)
    }

    /// Forgets the keys with nothing parked (endpoints gone since): called once per generation,
    /// so a key per endpoint that ever was does not pile up.
    mutating func dropEmptyKeys() {
        guard self.idle.values.contains(where: \.isEmpty) else { return }
        self.idle = self.idle.filter { !$0.value.isEmpty }
    }

    /// Parks a connection whose exchange ended cleanly. Returns it when it cannot stay (closed,
    /// `maxIdlePerKey` reached, or `maxUses` exchanges carried, nginx `keepalive_requests`):
    /// the caller closes it.
    mutating func release(_ connection: Connection, now: NIODeadline) -> Connection? {
        connection.uses += 1
        guard connection.isActive, connection.uses < self.maxUses, (self.idle[connection.poolKey]?.count ?? 0) < self.maxIdlePerKey
        else { return connection }
        connection.idleSince = now
        connection.isPooled = true
        self.idle[connection.poolKey, default: []].append(connection)
        return nil
    }

    /// Forgets a connection that closed while parked.
    mutating func remove(_ connection: Connection) {
        guard connection.isPooled else { return }
        connection.isPooled = false
        self.idle[connection.poolKey]?.removeAll { $0 === connection }
    }

    /// Keys the pool holds, with connections parked or not.
    var keyCount: Int { self.idle.count }

    /// Idle connections parked for `key`.
    func count(for key: Connection.Key) -> Int { self.idle[key]?.count ?? 0 }
}

/// A pool key naming one `ProxyEndpoint` by identity: one pointer hashed per lookup instead of
/// a socket address. Endpoints kept across generations keep their object, so their pooled
/// connections stay reachable; the key holds the endpoint, so its identity cannot be reused
/// while a connection to it is parked.
struct EndpointKey: Hashable {
    let endpoint: ProxyEndpoint

    static func == (lhs: EndpointKey, rhs: EndpointKey) -> Bool { lhs.endpoint === rhs.endpoint }

    func hash(into hasher: inout Hasher) {
        hasher.combine(ObjectIdentifier(self.endpoint))
    }
}
