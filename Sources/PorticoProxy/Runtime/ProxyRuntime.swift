import NIOCore
import PorticoRouting
import Synchronization

/// Holds the live generation and hands each event loop its own copy.
///
/// `install` is the one atomic swap of "compile, freeze, swap": it builds a `Generation` from a
/// snapshot and posts it to every loop, where requests read it without a lock (Envoy's
/// thread-local snapshots). In-flight requests keep the generation they started with.
public final class ProxyRuntime: Sendable {
    private struct Slot: Sendable {
        let eventLoop: any EventLoop
        let context: NIOLoopBoundBox<LoopContext>
    }

    private let slots: [Slot]
    private let current: Mutex<Generation>
    public let configuration: ProxyConfiguration

    /// - Parameter accessLogDescriptor: where access-log lines go, or nil for none.
    public init(
        group: any EventLoopGroup, snapshot: RoutingSnapshot, configuration: ProxyConfiguration,
        accessLogDescriptor: Int32?
    ) {
        let generation = Generation(number: 1, snapshot: snapshot, previous: nil)
        self.current = Mutex(generation)
        self.configuration = configuration
        self.slots = group.makeIterator().map { loop in
            // Built off the loop, then handed over: from here on only `loop` touches it.
            let box = NIOLoopBoundBox.makeBoxSendingValue(
                LoopContext(
                    eventLoop: loop, generation: generation, configuration: configuration,
                    accessLog: accessLogDescriptor.map { AccessLogWriter(fileDescriptor: $0, eventLoop: loop) }),
                eventLoop: loop)
            return Slot(eventLoop: loop, context: box)
        }
    }

    public var generation: Generation { self.current.withLock { $0 } }

    /// Swaps in a new snapshot. Endpoint health and round-robin positions carry over for
    /// backends that still exist.
    @discardableResult
    public func install(_ snapshot: RoutingSnapshot) -> Generation {
        let generation = self.current.withLock { current in
            current = Generation(number: current.number + 1, snapshot: snapshot, previous: current)
            return current
        }
        for slot in self.slots {
            slot.eventLoop.execute { slot.context.value.generation = generation }
        }
        return generation
    }

    /// Graceful shutdown, step two (after the listeners closed): idle connections close now,
    /// busy ones after their current response. Returns once every connection is gone or
    /// `timeout` passed.
    public func quiesce(timeout: TimeAmount) async {
        for slot in self.slots {
            slot.eventLoop.execute {
                let context = slot.context.value
                context.isQuiescing = true
                for connection in context.connections.values { connection.quiesce() }
            }
        }
        let deadline = NIODeadline.now() + timeout
        while NIODeadline.now() < deadline {
            var open = 0
            for slot in self.slots {
                open += (try? await slot.eventLoop.submit { slot.context.value.connections.count }.get()) ?? 0
            }
            if open == 0 { return }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    /// The context of the loop a channel lives on. Must be called on that loop.
    func loopContext(for eventLoop: any EventLoop) -> LoopContext {
        for slot in self.slots where slot.eventLoop === eventLoop { return slot.context.value }
        preconditionFailure("event loop not part of the proxy's group")
    }
}
