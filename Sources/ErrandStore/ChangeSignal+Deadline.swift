public import Foundation

extension ChangeSignal {
    /// Waits until the generation passes `seen` or `deadline` comes, whichever is first.
    /// - Returns: the generation when it returned (equal to `seen` after a timeout).
    public func wait(beyond seen: UInt64, until deadline: Date, time: any TimeSource) async -> UInt64 {
        if generation > seen { return generation }
        return await withTaskGroup(of: Void.self) { group in
            group.addTask { _ = await self.wait(beyond: seen) }
            group.addTask { try? await time.sleep(until: deadline) }
            await group.next()
            group.cancelAll()
            return generation
        }
    }
}
