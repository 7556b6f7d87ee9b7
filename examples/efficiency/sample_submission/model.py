"""Exact nearest-neighbour search with a sorted sweep along x.

The points are sorted by x once. For a query, the search starts at the query's x position and
walks outwards in both directions, stopping on each side as soon as the horizontal distance
alone is larger than the best distance found so far: no point beyond it can be closer. On
evenly spread points a query looks at a few dozen points instead of all of them.
"""

from bisect import bisect_left


class Model:
    def fit(self, points):
        order = sorted(range(len(points)), key=lambda index: points[index][0])
        self.positions = order
        self.xs = [points[index][0] for index in order]
        self.ys = [points[index][1] for index in order]

    def predict(self, queries):
        return [self._nearest(x, y) for x, y in queries]

    def _nearest(self, qx, qy):
        xs, ys = self.xs, self.ys
        start = bisect_left(xs, qx)
        best_distance = float("inf")
        best = None
        left, right = start - 1, start
        while left >= 0 or right < len(xs):
            # Step to whichever side is closer along x; stop when neither side can do better.
            left_gap = qx - xs[left] if left >= 0 else float("inf")
            right_gap = xs[right] - qx if right < len(xs) else float("inf")
            if left_gap <= right_gap:
                if left_gap * left_gap >= best_distance:
                    break
                candidate = left
                left -= 1
            else:
                if right_gap * right_gap >= best_distance:
                    break
                candidate = right
                right += 1
            dx = xs[candidate] - qx
            dy = ys[candidate] - qy
            distance = dx * dx + dy * dy
            if distance < best_distance:
                best_distance = distance
                best = candidate
        return self.positions[best]
