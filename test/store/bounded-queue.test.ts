import { describe, expect, it } from 'vitest';
import { BoundedQueue } from '../../src/store/bounded-queue.js';

describe('BoundedQueue', () => {
  it('is FIFO across growth and wrap-around', () => {
    const queue = new BoundedQueue<number>(100, 2);
    for (let i = 0; i < 10; i++) queue.push(i);
    expect(queue.peek(3)).toEqual([0, 1, 2]);
    queue.discard(3);
    for (let i = 10; i < 15; i++) queue.push(i);
    expect(queue.length).toBe(12);
    expect(queue.peek(100)).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
  });

  it('drops the oldest item when full', () => {
    const queue = new BoundedQueue<string>(3, 1);
    expect(queue.push('a')).toBeUndefined();
    expect(queue.push('b')).toBeUndefined();
    expect(queue.push('c')).toBeUndefined();
    expect(queue.push('d')).toBe('a');
    expect(queue.push('e')).toBe('b');
    expect(queue.peek(10)).toEqual(['c', 'd', 'e']);
    queue.discard(2);
    expect(queue.peek(10)).toEqual(['e']);
    queue.discard(5);
    expect(queue.length).toBe(0);
    expect(queue.peek(1)).toEqual([]);
  });

  it('keeps items until they are discarded', () => {
    const queue = new BoundedQueue<number>(10);
    queue.push(1);
    queue.push(2);
    expect(queue.peek(2)).toEqual([1, 2]);
    expect(queue.peek(2)).toEqual([1, 2]);
    expect(queue.length).toBe(2);
  });

  it('rejects a capacity below one', () => {
    expect(() => new BoundedQueue(0)).toThrow(RangeError);
  });
});
