/*
 * The scalar C reference for issue 5's first target: the NAND neuron (2-1, sigmoid) of the
 * notes' experiment (src/lessons/fd_vs_gd.rs), written as the plain loop a C programmer
 * would write for this one neuron, with nothing general about it.
 *
 * Settings, as the lesson's: f32, 4 samples (the NAND truth table), mean squared error
 * C = (1/4) sum_i (a_i - y_i)^2 with a = sigmoid(x1*w1 + x2*w2 + b), rate 0.1, 8,000,000
 * epochs; weights and bias uniform in [0, 1) from a seed (SplitMix64 here, so the starting
 * point differs from the lesson's StdRng one; pass three numbers after the seed to start
 * from given w1 w2 b instead). Each epoch is one full-batch step of gradient descent:
 *
 *   bp: dC/dp = (1/4) sum_i 2 (a_i - y_i) a_i (1 - a_i) * dz_i/dp   (dz/dw1 = x1, ..., dz/db = 1)
 *   fd: dC/dp = (C(p + eps) - C(p)) / eps with eps = 0.1, the base cost shared: 4 cost
 *       evaluations (16 sigmoids) per epoch, as in the lesson.
 *
 * Prints one JSON object per method, like `fd_vs_gd --json`: seconds for the loop alone
 * and the final cost.
 *
 * Build and run (gcc -O3, no -ffast-math: the same IEEE arithmetic as the Rust side):
 *
 *   gcc -O3 -march=native -o /tmp/nand benches/reference/nand.c -lm
 *   /tmp/nand            # seed 1, 8,000,000 epochs
 *   /tmp/nand 1 8000000  # seed, epochs
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define N 4
static const float X[N][2] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}};
static const float Y[N] = {1, 1, 1, 0};
static const float RATE = 0.1f;
static const float EPS = 0.1f;

static uint64_t splitmix64(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform in [0, 1): the top 24 bits, so every value is an exact f32. */
static float uniform01(uint64_t *state) {
    return (float)(splitmix64(state) >> 40) * (1.0f / 16777216.0f);
}

static float sigmoidf(float z) { return 1.0f / (1.0f + expf(-z)); }

static float cost(float w1, float w2, float b) {
    float sum = 0.0f;
    for (int i = 0; i < N; ++i) {
        float d = sigmoidf(X[i][0] * w1 + X[i][1] * w2 + b) - Y[i];
        sum += d * d;
    }
    return sum / N;
}

static double seconds_since(const struct timespec *start) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + 1e-9 * (double)(now.tv_nsec - start->tv_nsec);
}

static void bp(float p[3], long epochs) {
    float w1 = p[0], w2 = p[1], b = p[2];
    for (long e = 0; e < epochs; ++e) {
        float g1 = 0.0f, g2 = 0.0f, gb = 0.0f;
        for (int i = 0; i < N; ++i) {
            float a = sigmoidf(X[i][0] * w1 + X[i][1] * w2 + b);
            float delta = 2.0f * (a - Y[i]) * a * (1.0f - a);
            g1 += delta * X[i][0];
            g2 += delta * X[i][1];
            gb += delta;
        }
        w1 -= RATE * g1 / N;
        w2 -= RATE * g2 / N;
        b -= RATE * gb / N;
    }
    p[0] = w1, p[1] = w2, p[2] = b;
}

static void fd(float p[3], long epochs) {
    float w1 = p[0], w2 = p[1], b = p[2];
    for (long e = 0; e < epochs; ++e) {
        float c = cost(w1, w2, b);
        float g1 = (cost(w1 + EPS, w2, b) - c) / EPS;
        float g2 = (cost(w1, w2 + EPS, b) - c) / EPS;
        float gb = (cost(w1, w2, b + EPS) - c) / EPS;
        w1 -= RATE * g1;
        w2 -= RATE * g2;
        b -= RATE * gb;
    }
    p[0] = w1, p[1] = w2, p[2] = b;
}

static void run(const char *method, void (*train)(float[3], long), const float start[3],
                long epochs) {
    float p[3] = {start[0], start[1], start[2]};
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    train(p, epochs);
    double s = seconds_since(&t0);
    printf("{\"method\":\"%s\",\"epochs\":%ld,\"seconds\":%.4f,\"cost\":%.9g}\n", method, epochs,
           s, cost(p[0], p[1], p[2]));
}

int main(int argc, char **argv) {
    uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 10) : 1;
    long epochs = argc > 2 ? strtol(argv[2], NULL, 10) : 8000000;
    float start[3];
    for (int k = 0; k < 3; ++k) start[k] = uniform01(&seed);
    if (argc > 5)
        for (int k = 0; k < 3; ++k) start[k] = strtof(argv[3 + k], NULL);
    /* The lesson's order: finite differences first, then back-propagation. */
    run("fd", fd, start, epochs);
    run("bp", bp, start, epochs);
    return 0;
}
