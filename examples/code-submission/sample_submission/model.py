"""A k-nearest-neighbours classifier, written with the standard library only.

The ingestion program imports this file and calls:

    model = Model()
    model.fit(X_train, y_train)   # X: list of [firmness, sugar, colour], y: list of labels
    labels = model.predict(X_test)  # one label ("ripe" or "unripe") per row of X_test
"""

import math
from collections import Counter


class Model:
    def __init__(self, k=5):
        self.k = k

    def fit(self, X, y):
        columns = list(zip(*X))
        # Put every feature on the same scale, or sugar (8-18) would outweigh colour (0-1).
        self.means = [sum(column) / len(column) for column in columns]
        self.scales = [
            math.sqrt(sum((value - mean) ** 2 for value in column) / len(column)) or 1.0
            for column, mean in zip(columns, self.means)
        ]
        self.points = [self._scale(row) for row in X]
        self.labels = list(y)

    def predict(self, X):
        return [self._predict_one(self._scale(row)) for row in X]

    def _scale(self, row):
        return [(value - mean) / scale for value, mean, scale in zip(row, self.means, self.scales)]

    def _predict_one(self, point):
        distances = sorted(
            (math.dist(point, other), label) for other, label in zip(self.points, self.labels)
        )
        votes = Counter(label for _, label in distances[: self.k])
        return votes.most_common(1)[0][0]
