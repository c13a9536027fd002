DROP TABLE rewards_withheld;
DROP TABLE challenge_outcomes;
DROP TABLE challenge_windows;
