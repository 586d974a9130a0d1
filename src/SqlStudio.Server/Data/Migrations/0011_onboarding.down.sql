DROP TABLE IF EXISTS onboarding_steps;
