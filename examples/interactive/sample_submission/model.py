"""Additive Holt-Winters forecasting with a weekly season, standard library only.

The ingestion program imports this file and calls:

    model = Model()
    model.fit(history)       # history: list of daily loaves sold, oldest first
    then, for every round:
        model.update(value)  # the true value of the day just forecast (from the second round)
        model.predict()      # the forecast for the next day, a number

Each value is learned once: by fit (the history) or by update (one day at a time).
"""

SEASON = 7  # days in a week


class Model:
    def __init__(self, alpha=0.2, beta=0.01, gamma=0.2):
        self.alpha = alpha  # how fast the level follows new values
        self.beta = beta  # how fast the trend does
        self.gamma = gamma  # how fast the weekly profile does

    def fit(self, history):
        # Start from the first two weeks: the level is the first week's mean, the trend the
        # change to the second week's mean, the season each day's distance from its week's mean.
        first, second = history[:SEASON], history[SEASON : 2 * SEASON]
        self.level = sum(first) / SEASON
        self.trend = (sum(second) - sum(first)) / SEASON / SEASON
        self.season = [value - self.level for value in first]
        self.day = SEASON  # position in the week of the next value
        for value in history[SEASON:]:
            self.update(value)

    def predict(self):
        return self.level + self.trend + self.season[self.day % SEASON]

    def update(self, value):
        slot = self.day % SEASON
        previous = self.level
        self.level = self.alpha * (value - self.season[slot]) + (1 - self.alpha) * (
            previous + self.trend
        )
        self.trend = self.beta * (self.level - previous) + (1 - self.beta) * self.trend
        self.season[slot] = self.gamma * (value - self.level) + (1 - self.gamma) * self.season[slot]
        self.day += 1
