#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import PresigndSupport

/// A fixed table of metric series in one block of memory, which several processes may share:
/// the supervisor maps it (`MAP_SHARED`) before it forks, so every worker counts into the same
/// slots and any worker can answer `/metrics` for all of them.
///
/// Each slot holds one series (its text key, e.g. `presignd_http_requests_total{route="/healthz",status="200"}`)
/// and `valueCount` atomic 64-bit values (a counter uses the first; a histogram all of them).
/// A slot is claimed once, by compare-and-swap, and never freed; lookups probe linearly from
/// the key's hash. Nothing here takes a lock, so a worker killed mid-update cannot wedge the
/// others: at worst one slot stays half-claimed and the key lands in the next one.
package final class MetricsTable: @unchecked Sendable {
    package static let valueCount = 16
    package static let slotSize = 256
    /// Longest key a slot holds; longer keys are refused (and counted as dropped).
    package static let keyCapacity = slotSize - 8 - valueCount * 8

    /// Slot layout: state word (0 empty, 1 being claimed, 2 | keyLength << 8 ready), values, key bytes.
    static let stateOffset = 0
    static let valuesOffset = 8
    static let keyOffset = 8 + valueCount * 8

    static let empty: UInt64 = 0
    static let claiming: UInt64 = 1
    static let ready: UInt64 = 2

    let base: UnsafeMutableRawPointer
    package let capacity: Int
    let ownsMemory: Bool

    /// Uses `bytes` of zeroed memory at `memory` (e.g. a fresh anonymous mapping); the caller
    /// keeps it mapped for the table's life.
    package init(memory: UnsafeMutableRawPointer, bytes: Int) {
        base = memory
        capacity = bytes / MetricsTable.slotSize
        ownsMemory = false
    }

    /// A table on the heap, private to this process (tests, CGI, `presignd-bench`).
    package init(slots: Int) {
        let bytes = slots * MetricsTable.slotSize
        base = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        base.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        capacity = slots
        ownsMemory = true
    }

    deinit { if ownsMemory { base.deallocate() } }

    func state(_ slot: Int) -> UnsafeMutablePointer<Atomic<UInt64>> {
        (base + slot * MetricsTable.slotSize + MetricsTable.stateOffset).assumingMemoryBound(to: Atomic<UInt64>.self)
    }

    func value(_ slot: Int, _ index: Int) -> UnsafeMutablePointer<Atomic<UInt64>> {
        (base + slot * MetricsTable.slotSize + MetricsTable.valuesOffset + index * 8).assumingMemoryBound(to: Atomic<UInt64>.self)
    }

    func keyBytes(_ slot: Int, count: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base + slot * MetricsTable.slotSize + MetricsTable.keyOffset, count: count)
    }

    /// The slot of `key`, claiming a free one the first time; nil when the table is full or the
    /// key too long for a slot.
    package func slot(for key: String) -> Int? {
        var key = key
        return key.withUTF8 { slot(for: UnsafeRawBufferPointer($0)) }
    }

    /// `slot(for:)` with the key's UTF-8 bytes.
    package func slot(for bytes: UnsafeRawBufferPointer) -> Int? {
        do {
            guard bytes.count <= MetricsTable.keyCapacity, capacity > 0 else { return nil }
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a
            for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            let wanted = MetricsTable.ready | UInt64(bytes.count) << 8
            var slot = Int(hash % UInt64(capacity))
            for _ in 0..<capacity {
                let state = self.state(slot)
                var current = state.pointee.load(ordering: .acquiring)
                if current == MetricsTable.empty {
                    let (won, seen) = state.pointee.compareExchange(expected: MetricsTable.empty, desired: MetricsTable.claiming,
                                                                   ordering: .acquiringAndReleasing)
                    if won {
                        let destination = base + slot * MetricsTable.slotSize + MetricsTable.keyOffset
                        if !bytes.isEmpty { destination.copyMemory(from: bytes.baseAddress!, byteCount: bytes.count) }
                        state.pointee.store(wanted, ordering: .releasing)
                        return slot
                    }
                    current = seen
                }
                // Another process is writing this slot's key: wait briefly; a writer that died
                // there leaves it claimed forever, and the key then goes on to the next slot.
                var spins = 0
                while current == MetricsTable.claiming && spins < 10_000 {
                    spins += 1
                    current = state.pointee.load(ordering: .acquiring)
                }
                if current == wanted
                    && (bytes.isEmpty || memcmp(base + slot * MetricsTable.slotSize + MetricsTable.keyOffset, bytes.baseAddress!, bytes.count) == 0) {
                    return slot
                }
                slot = (slot + 1) % capacity
            }
            return nil
        }
    }

    package func add(_ slot: Int, index: Int = 0, _ amount: UInt64) {
        value(slot, index).pointee.wrappingAdd(amount, ordering: .relaxed)
    }

    package func store(_ slot: Int, index: Int = 0, _ amount: UInt64) {
        value(slot, index).pointee.store(amount, ordering: .relaxed)
    }

    package func load(_ slot: Int, index: Int = 0) -> UInt64 {
        value(slot, index).pointee.load(ordering: .relaxed)
    }

    /// Every ready series with its values, in slot order (duplicates of a key, possible only
    /// after a writer died mid-claim, are the caller's to merge).
    package func snapshot() -> [(key: String, values: [UInt64])] {
        var out: [(key: String, values: [UInt64])] = []
        for slot in 0..<capacity {
            let current = state(slot).pointee.load(ordering: .acquiring)
            guard current & 0xFF == MetricsTable.ready else { continue }
            let key = String(decoding: keyBytes(slot, count: Int(current >> 8)), as: UTF8.self)
            out.append((key, (0..<MetricsTable.valueCount).map { load(slot, index: $0) }))
        }
        return out
    }
}
