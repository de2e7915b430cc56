public import Foundation

extension CronSchedule {
    /// Fire times in `(after, through]`, oldest first, at most `limit`.
    public func slots(after: Date, through: Date, in zone: TimeZone, limit: Int) -> [Date] {
        var slots: [Date] = []
        var from = after
        while slots.count < limit, let next = next(after: from, in: zone), next <= through {
            slots.append(next)
            from = next
        }
        return slots
    }

    /// The latest fire time in `(after, through]`, found by looking back over growing windows (an hour, a day, a
    /// month, a year, then everything), so a schedule firing every second does not walk a year of slots.
    public func latest(after: Date, through: Date, in zone: TimeZone) -> Date? {
        for window in [3600.0, 86_400, 31 * 86_400, 366 * 86_400, .infinity] {
            let start = window.isInfinite ? after : max(after, through.addingTimeInterval(-window))
            let found = slots(after: start, through: through, in: zone, limit: .max)
            if let last = found.last { return last }
            if start == after { return nil }
        }
        return nil
    }
}

extension TaskDefinition {
    /// How late a slot may be seen and still count as on time, in seconds; later ones are missed and follow
    /// ``catchUp``.
    public static let onTimeTolerance: Double = 1

    /// Most slots a periodical definition enqueues in one round (`catch_up: all` after a long stop continues in the
    /// next rounds).
    public static let slotsPerRound = 1_000

    /// The slots a periodical definition should enqueue at `now`, oldest first, given its `mark` (the last slot
    /// enqueued, or when the definition was first seen): every slot in `(mark, now]` at most
    /// ``onTimeTolerance`` late, and before those the missed ones as ``catchUp`` says. Empty for other kinds.
    public func dueSlots(mark: Date, now: Date) -> [Date] {
        guard let schedule, let zone = TimeZone(identifier: timeZone), mark < now else { return [] }
        let onTimeStart = max(mark, now.addingTimeInterval(-Self.onTimeTolerance))
        let onTime = schedule.slots(after: onTimeStart, through: now, in: zone, limit: Self.slotsPerRound)
        guard mark < onTimeStart else { return onTime }
        switch catchUp {
        case .none:
            return onTime
        case .latest:
            return (schedule.latest(after: mark, through: onTimeStart, in: zone).map { [$0] } ?? []) + onTime
        case .all:
            return schedule.slots(after: mark, through: now, in: zone, limit: Self.slotsPerRound)
        }
    }
}

extension TaskDefinition {
    /// The next `count` fire times of a periodical definition after `date`, in its zone (UTC when the zone is
    /// unknown); none for the other kinds.
    public func nextRuns(_ count: Int = 3, after date: Date) -> [Date] {
        let zone = TimeZone(identifier: timeZone) ?? TimeZone(identifier: "UTC")!
        return schedule?.next(count, after: date, in: zone) ?? []
    }
}
