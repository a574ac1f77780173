// BodyBudget: reservations up to the limit at once, then a first-come-first-served line.
import { EventEmitter } from 'node:events'
import { describe, expect, it } from 'vitest'
import { BodyBudget } from '../../src/ingest/body-budget.ts'

/** Lets granted waiters' promises settle. */
const settle = () => new Promise((r) => setImmediate(r))

describe('BodyBudget', () => {
  it('grants reservations while they fit, and refuses the one that would pass the limit', () => {
    const budget = new BodyBudget(100)
    const a = budget.tryReserve(60)
    const b = budget.tryReserve(40)
    expect(a).toBeTypeOf('function')
    expect(b).toBeTypeOf('function')
    expect(budget.tryReserve(1)).toBeUndefined()
    expect(budget.stats).toEqual({ held: 100, waiting: 0 })
    a!()
    a!() // giving back twice gives back once
    expect(budget.stats.held).toBe(40)
  })

  it('grants a reservation larger than the whole budget when nothing else is held, and only then', async () => {
    const budget = new BodyBudget(100)
    const small = budget.tryReserve(10)!
    expect(budget.tryReserve(500)).toBeUndefined()
    let granted: (() => void) | undefined
    void budget.wait(500).then((release) => (granted = release))
    await settle()
    expect(granted).toBeUndefined()
    small()
    await settle()
    expect(granted).toBeTypeOf('function')
    expect(budget.stats).toEqual({ held: 500, waiting: 0 })
    granted!()
    expect(budget.stats.held).toBe(0)
  })

  it('serves waiters in order: a small one does not overtake a large one at the head of the line', async () => {
    const budget = new BodyBudget(100)
    const first = budget.tryReserve(80)!
    const order: string[] = []
    const large = budget.wait(90).then((release) => (order.push('large'), release))
    const small = budget.wait(10).then((release) => (order.push('small'), release))
    // Room for the small one now, but the large one is ahead of it; nor may a newcomer jump the line.
    expect(budget.tryReserve(5)).toBeUndefined()
    await settle()
    expect(order).toEqual([])
    expect(budget.stats).toEqual({ held: 80, waiting: 2 })
    first()
    await settle()
    expect(order).toEqual(['large', 'small'])
    expect(budget.stats).toEqual({ held: 100, waiting: 0 })
    ;(await large)!()
    ;(await small)!()
    expect(budget.stats).toEqual({ held: 0, waiting: 0 })
  })

  it('withdraws a waiter whose request closes, holding nothing for it, and lets the next one in', async () => {
    const budget = new BodyBudget(100)
    const first = budget.tryReserve(100)!
    const request = new EventEmitter()
    const gone = budget.wait(50, request)
    const nextRequest = new EventEmitter()
    let next: (() => void) | undefined
    void budget.wait(50, nextRequest).then((release) => (next = release))
    request.emit('close')
    expect(await gone).toBeUndefined()
    expect(budget.stats).toEqual({ held: 100, waiting: 1 })
    first()
    await settle()
    expect(next).toBeTypeOf('function')
    expect(budget.stats).toEqual({ held: 50, waiting: 0 })
    // Granted, the request is no longer watched: its close later changes nothing.
    expect(nextRequest.listenerCount('close')).toBe(0)
    nextRequest.emit('close')
    expect(budget.stats).toEqual({ held: 50, waiting: 0 })
  })
})
