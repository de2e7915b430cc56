import ErrandCore
import ErrandStore
import Foundation
import Testing

extension StoreCheck {
    static let treeChecks: [StoreCheck] = [
        StoreCheck(client: "a child joins its parent's tree, module and operation number; a module numbers its roots in order") { store, time in
            let first = try await store.add(NewTask(handler: "repair", module: "repair", type: "repair", scope: "cluster"), now: time.now)
            let second = try await store.add(NewTask(handler: "repair", module: "repair"), now: time.now)
            let other = try await store.add(NewTask(handler: "compact", module: "compaction"), now: time.now)
            let plain = try await store.add(NewTask(handler: "h"), now: time.now)
            #expect([first.sequenceNumber, second.sequenceNumber, other.sequenceNumber, plain.sequenceNumber] == [1, 2, 1, nil])
            let child = try await store.add(
                NewTask(handler: "repair.keyspace", parentID: first.id, scope: "keyspace", keyspace: "ks1", isAbortable: false),
                now: time.now
            )
            let grandchild = try await store.add(NewTask(handler: "repair.table", parentID: child.id, table: "t1"), now: time.now)
            #expect(child.rootID == first.id && grandchild.rootID == first.id && grandchild.parentID == child.id)
            #expect(child.module == "repair" && grandchild.module == "repair")
            #expect(child.sequenceNumber == 1 && grandchild.sequenceNumber == 1)
            let storedChild = try await store.stored(child.id)
            #expect(storedChild.scope == "keyspace" && storedChild.keyspace == "ks1" && !storedChild.isAbortable)
            #expect(try await store.stored(first.id).hasChildren)
            #expect(try await store.stored(grandchild.id).hasChildren == false)
            #expect(try await store.stored(first.id).type == "repair")
            #expect(try await store.modules() == ["compaction", "repair"])
            let tree = try await store.tree(of: grandchild.id)
            #expect(tree.map(\.id) == [first.id, child.id, grandchild.id])
        },
        StoreCheck("a parent whose handler succeeds awaits its unfinished children and completes with the last") { store, time in
            let root = try await store.add(NewTask(handler: "root"), now: time.now)
            let running = try await store.claimOne(now: time.now)
            let a = try await store.add(NewTask(handler: "leaf", parentID: root.id), now: time.now)
            let b = try await store.add(NewTask(handler: "leaf", parentID: root.id), now: time.now)
            time.advance(by: 1)
            let awaiting = try #require(try await store.finishOne(running, .succeeded, result: #"{"r":1}"#, now: time.now).appliedTask)
            #expect(awaiting.state == .running && awaiting.isAwaitingChildren && awaiting.finishedAt == nil)
            #expect(try await store.attempts(of: root.id).map(\.outcome) == [.succeeded])
            #expect(try await store.nextLeaseExpiry() == nil)
            let leaves = try await store.claimAll(now: time.now)
            #expect(Set(leaves.map(\.id)) == [a.id, b.id])
            _ = try await store.finishOne(leaves[0], .succeeded, now: time.now)
            #expect(try await store.stored(root.id).isAwaitingChildren)
            time.advance(by: 1)
            _ = try await store.finishOne(leaves[1], .succeeded, now: time.now)
            let done = try await store.stored(root.id)
            #expect(done.state == .completed && done.finishedAt == time.now && done.result == #"{"r":1}"#)
        },
        StoreCheck(client: "a parent fails when a child it left unfinished fails; a handler that outlived its children decides") { store, time in
            let left = try await store.add(NewTask(handler: "root"), now: time.now)
            let leftRunning = try await store.claimOne(now: time.now)
            let once = RetryPolicy(maxAttempts: 1)
            let child = try await store.add(NewTask(handler: "leaf", retry: once, parentID: left.id), now: time.now)
            _ = try await store.finishOne(leftRunning, .succeeded, now: time.now)
            let leaf = try await store.claimOne(now: time.now)
            #expect(leaf.id == child.id)
            _ = try await store.finishOne(leaf, .failed, message: "disk full", now: time.now)
            let failed = try await store.stored(left.id)
            #expect(failed.state == .failed)
            #expect(failed.lastError == "1 of its 1 child tasks did not succeed (first: \(child.id))")

            let waited = try await store.add(NewTask(handler: "root"), now: time.now)
            let waitedRunning = try await store.claimOne(now: time.now)
            _ = try await store.add(NewTask(handler: "leaf", retry: once, parentID: waited.id), now: time.now)
            let waitedLeaf = try await store.claimOne(now: time.now)
            _ = try await store.finishOne(waitedLeaf, .failed, message: "disk full", now: time.now)
            let done = try #require(try await store.finishOne(waitedRunning, .succeeded, now: time.now).appliedTask)
            #expect(done.state == .completed)
        },
        StoreCheck(client: "reading a finished tree changes nothing: the same records every time, folded ones included") { store, time in
            let root = try await store.add(NewTask(handler: "root"), now: time.now)
            let running = try await store.claimOne(now: time.now)
            for _ in 0..<2 { _ = try await store.add(NewTask(handler: "leaf", parentID: root.id, isInternal: true), now: time.now) }
            let shown = try await store.add(NewTask(handler: "leaf", parentID: root.id), now: time.now)
            _ = try await store.finishOne(running, .succeeded, now: time.now)
            for leaf in try await store.claimAll(now: time.now) { _ = try await store.finishOne(leaf, .succeeded, now: time.now) }
            let first = try await store.tree(of: root.id)
            #expect(first.count == 4 && first.allSatisfy { $0.state == .completed })
            #expect(first.filter(\.isFolded).count == 2, "internal children fold")
            #expect(first.first { $0.id == shown.id }?.isFolded == false, "a child that is not internal keeps its record")
            #expect(try await store.tree(of: root.id) == first)
            #expect(try await store.task(root.id) == first[0])
            #expect(try await store.task(root.id) == first[0])
        },
        StoreCheck(client: "a finished tree folds: only the root stays listed, except a failure and its ancestors") { store, time in
            // root → a → (a1, a2), b; a2 fails, so a (which awaited it) fails, and so does the root.
            let root = try await store.add(NewTask(handler: "root", arguments: #"{"n":1}"#), now: time.now)
            let rootRun = try await store.claimOne(now: time.now)
            let a = try await store.add(NewTask(handler: "mid", arguments: #"{"n":2}"#, parentID: root.id, isInternal: true), now: time.now)
            let b = try await store.add(NewTask(handler: "mid", arguments: #"{"n":3}"#, parentID: root.id, isInternal: true), now: time.now)
            _ = try await store.finishOne(rootRun, .succeeded, now: time.now)
            let mids = try await store.claimAll(now: time.now)
            let a1 = try await store.add(NewTask(handler: "leaf", arguments: #"{"n":4}"#, parentID: a.id, isInternal: true), now: time.now)
            let once = RetryPolicy(maxAttempts: 1)
            let a2 = try await store.add(NewTask(handler: "leaf", retry: once, parentID: a.id, isInternal: true), now: time.now)
            for mid in mids { _ = try await store.finishOne(mid, .succeeded, result: #"{"mid":true}"#, now: time.now) }
            #expect(try await store.stored(b.id).state == .completed)
            #expect(try await store.stored(b.id).isFolded == false, "nothing folds before the root is finished")
            for leaf in try await store.claimAll(now: time.now) {
                _ = try await store.finishOne(leaf, leaf.id == a2.id ? .failed : .succeeded, message: "x", now: time.now)
            }
            #expect(try await store.stored(root.id).state == .failed)
            let tree = Dictionary(uniqueKeysWithValues: try await store.tree(of: root.id).map { ($0.id, $0) })
            #expect(tree.count == 5)
            #expect(TaskTree(Array(tree.values)).foldable().isEmpty, "the store folded everything the rule folds")
            #expect(tree[b.id]?.isFolded == true && tree[a1.id]?.isFolded == true)
            #expect(tree[b.id]?.arguments == "{}" && tree[b.id]?.result == #"{"mid":true}"# && tree[b.id]?.state == .completed)
            #expect(try await store.attempts(of: b.id).isEmpty)
            #expect(tree[a.id]?.isFolded == false && tree[a.id]?.arguments == #"{"n":2}"#)
            #expect(tree[a2.id]?.isFolded == false && tree[a2.id]?.state == .failed)
            #expect(try await store.attempts(of: a2.id).count == 1)
            let listed = Set(try await store.list(TaskQuery()).tasks.map(\.id))
            #expect(listed == [root.id, a.id, a2.id])
            #expect(Set(try await store.list(TaskQuery(includeFolded: true)).tasks.map(\.id)).count == 5)
            #expect(try await store.list(TaskQuery(rootsOnly: true)).tasks.map(\.id) == [root.id])
            #expect(Set(try await store.list(TaskQuery(parentID: root.id)).tasks.map(\.id)) == [a.id, b.id], "children listed, folded too")
        },
        StoreCheck(client: "abort cascades to unfinished abortable descendants and refuses a task that is not abortable") { store, time in
            // root → (a running, b pending → b1, guard (not abortable) → g1)
            let root = try await store.add(NewTask(handler: "root"), now: time.now)
            let rootRun = try await store.claimOne(now: time.now)
            let a = try await store.add(NewTask(handler: "leaf", parentID: root.id), now: time.now)
            _ = try await store.finishOne(rootRun, .succeeded, now: time.now)
            let aRun = try await store.claimOne(now: time.now)
            #expect(aRun.id == a.id)
            let b = try await store.add(NewTask(handler: "leaf", parentID: root.id), now: time.now)
            let b1 = try await store.add(NewTask(handler: "leaf", parentID: b.id), now: time.now)
            let guarded = try await store.add(NewTask(handler: "leaf", parentID: root.id, isAbortable: false), now: time.now)
            let g1 = try await store.add(NewTask(handler: "leaf", parentID: guarded.id), now: time.now)
            let refused = await storeError { _ = try await store.cancel(guarded.id, reason: nil, now: time.now) }
            #expect(refused?.code == .notAbortable)
            #expect(refused?.message.contains("not abortable") == true)
            #expect(try await store.stored(guarded.id).state == .pending)
            time.advance(by: 1)
            let aborted = try await store.cancel(root.id, reason: "operator", now: time.now)
            #expect(aborted.state == .cancelled && aborted.message == "operator")
            for id in [a.id, b.id, b1.id] {
                let task = try await store.stored(id)
                #expect(task.state == .cancelled, "task \(id)")
                #expect(task.message == "aborted with task \(root.id)")
            }
            #expect(try await store.stored(guarded.id).state == .pending)
            #expect(try await store.stored(g1.id).state == .pending)
            #expect(try await store.heartbeat([try #require(aRun.lease)], now: time.now).isEmpty, "the running child's lease ends")
            #expect(try await store.attempts(of: a.id).map(\.outcome) == [.cancelled])
        },
        StoreCheck("prune deletes whole finished trees after the TTL (user-started after the user TTL), never half a tree") { store, time in
            let code = try await store.add(NewTask(handler: "root"), now: time.now)
            let user = try await store.add(NewTask(handler: "root", isUserTask: true), now: time.now)
            let open = try await store.add(NewTask(handler: "root"), now: time.now)
            let roots = try await store.claimAll(now: time.now)
            for task in roots where task.id != open.id {
                _ = try await store.add(NewTask(handler: "leaf", parentID: task.id), now: time.now)
            }
            let openChild = try await store.add(NewTask(handler: "leaf", parentID: open.id), now: time.now)
            _ = try await store.cancel(openChild.id, reason: nil, now: time.now)
            let openRun = try #require(try await store.stored(open.id).lease)
            _ = try await store.finish([Finish(lease: openRun, outcome: .failed, retryable: false)], now: time.now)
            // The open tree's root is failed but gets an unfinished child afterwards.
            _ = try await store.add(NewTask(handler: "late", parentID: open.id), now: time.now)
            for task in roots where task.id != open.id { _ = try await store.finishOne(task, .succeeded, now: time.now) }
            for task in try await store.claimAll(now: time.now) where task.handler == "leaf" {
                _ = try await store.finishOne(task, .succeeded, now: time.now)
            }
            #expect(try await store.stored(code.id).state == .completed)
            #expect(try await store.stored(user.id).state == .completed)
            time.advance(by: 100)
            let ttl = time.now.addingTimeInterval(-50)
            let userTTL = time.now.addingTimeInterval(-500)
            #expect(try await store.prune(finishedBefore: ttl, userTasksFinishedBefore: userTTL, limit: 100) == 2)
            #expect(try await store.task(code.id) == nil)
            #expect(try await store.task(user.id) != nil)
            #expect(try await store.task(open.id) != nil, "a tree with an unfinished task stays")
            time.advance(by: 500)
            #expect(try await store.prune(finishedBefore: time.now, userTasksFinishedBefore: time.now.addingTimeInterval(-500), limit: 100) == 2)
            #expect(try await store.task(user.id) == nil)
            #expect(try await store.tree(of: open.id).count == 3)
        },
        StoreCheck(client: "draining a module deletes its finished local trees and nothing else") { store, time in
            let done = try await store.add(NewTask(handler: "h", module: "repair"), now: time.now)
            let global = try await store.add(NewTask(handler: "h", module: "repair", locality: .global), now: time.now)
            let other = try await store.add(NewTask(handler: "h", module: "compaction"), now: time.now)
            for task in try await store.claimAll(now: time.now) { _ = try await store.finishOne(task, .succeeded, now: time.now) }
            let waiting = try await store.add(NewTask(handler: "h", module: "repair"), now: time.now)
            #expect(try await store.drainModule("repair") == 1)
            #expect(try await store.task(done.id) == nil)
            for kept in [global.id, other.id, waiting.id] { #expect(try await store.task(kept) != nil) }
            #expect(try await store.drainModule("nothing") == 0)
        },
        StoreCheck("a part is claimed only by its worker; a global task ends with its last part; a lost worker's part is cancelled") {
            store,
            time in
            let global = try await store.add(
                NewTask(handler: "h", module: "ops", locality: .global, targetWorker: ""),
                now: time.now
            )
            let parts = try await store.enqueue(
                ["w1", "w2", "w3"].map { NewTask(handler: "h", parentID: global.id, isInternal: true, targetWorker: $0) },
                now: time.now
            ).map(\.task)
            #expect(try await store.claimAll(worker: "w9", now: time.now).isEmpty, "nobody else claims a part or the global task")
            let first = try await store.claimAll(worker: "w1", now: time.now)
            #expect(first.map(\.id) == [parts[0].id])
            #expect(try await store.claimAll(worker: "w1", now: time.now).isEmpty)
            _ = try await store.finishOne(first[0], .succeeded, now: time.now)
            let second = try await store.claimAll(worker: "w2", now: time.now)
            _ = try await store.finishOne(second[0], .succeeded, now: time.now)
            #expect(try await store.stored(global.id).state == .pending, "unfinished while a part is")
            // w3 registers, then is lost and salvaged before it claims its part: the part is cancelled, and the
            // global task fails with it.
            try await store.registerWorker(
                WorkerRecord(id: "w3-run", name: "w3", leaseName: "w3", startedAt: time.now, heartbeatExpiration: 10, salvageAfter: 5)
            )
            time.advance(by: 20)
            let salvage = try await store.salvageWorkers(by: "leader", now: time.now, limit: 10)
            #expect(salvage.salvaged.map(\.id) == ["w3-run"])
            #expect(salvage.tasks.compactMap(\.appliedTask).map(\.id) == [parts[2].id])
            let cancelled = try await store.stored(parts[2].id)
            #expect(cancelled.state == .cancelled && cancelled.message == "its worker w3 was lost before running it")
            let ended = try await store.stored(global.id)
            #expect(ended.state == .failed && ended.lastError?.hasPrefix("1 of its 3 child tasks did not succeed") == true)
            #expect(ended.attempt == 0, "no worker ever ran the global task's own row")
        },
        StoreCheck("settings are shared, replaced and cleared") { store, time in
            #expect(try await store.setting(StoreSetting.taskTTL) == nil)
            try await store.setSetting(StoreSetting.taskTTL, to: "60", now: time.now)
            try await store.setSetting(StoreSetting.taskTTL, to: "120", now: time.now)
            try await store.setSetting(StoreSetting.userTaskTTL, to: "3600", now: time.now)
            #expect(try await store.setting(StoreSetting.taskTTL) == "120")
            #expect(try await store.setting(StoreSetting.userTaskTTL) == "3600")
            try await store.setSetting(StoreSetting.taskTTL, to: nil, now: time.now)
            #expect(try await store.setting(StoreSetting.taskTTL) == nil)
        },
    ]
}
