/*
 * stats.c -- the detector's tail probabilities, in log space.
 *
 * A count k in a window is surprising when P(X >= k) is small under what the
 * baseline expects.  Two models: Poisson(lambda) when past weeks vary no more
 * than Poisson noise, and the negative binomial (mean mu, shape r, variance
 * mu + mu^2/r) when they vary more (a holiday, a news day), which widens the
 * tail so a busy day is not an alert.
 *
 * Poisson: P(X >= k) = P(k, lambda), the regularized lower incomplete gamma
 * function.  Negative binomial (failures before the r-th success, success
 * probability p = r / (r + mu)): P(X >= k) = I_{1-p}(k, r), the regularized
 * incomplete beta function.  Both are computed as Numerical Recipes (Press et
 * al., 3rd ed., 6.2 and 6.4) does -- the series or the continued fraction
 * (modified Lentz), whichever converges on that side -- but keeping the
 * prefactor x^a e^-x / Gamma(a) (or x^a (1-x)^b / B(a, b)) as a logarithm, so
 * a tail of 1e-300 or 1e-3000 comes out as its logarithm instead of
 * underflowing; when the other side's function is the one computed, the
 * upper tail is log1p(-that), which is only done where the tail is large.
 */
#include <assert.h>
#include <math.h>

#include "alerts.h"

#define EPS 1e-15
#define FPMIN 1e-300
#define MAXIT 1000000

/* ln of the series sum of P(a, x) (valid for x < a + 1, a > 0). */
static double gamma_series_log(double a, double x)
{
    double ap = a, del = 1.0 / a, sum = del;
    for (int i = 0; i < MAXIT; i++) {
        ap += 1.0;
        del *= x / ap;
        sum += del;
        if (fabs(del) < fabs(sum) * EPS)
            break;
    }
    return log(sum) - x + a * log(x) - lgamma(a);
}

/* ln Q(a, x) by the continued fraction (valid for x >= a + 1). */
static double gamma_cf_log(double a, double x)
{
    double b = x + 1.0 - a, c = 1.0 / FPMIN, d = 1.0 / b, h = d;
    for (int i = 1; i < MAXIT; i++) {
        double an = -i * (i - a);
        b += 2.0;
        d = an * d + b;
        if (fabs(d) < FPMIN)
            d = FPMIN;
        c = b + an / c;
        if (fabs(c) < FPMIN)
            c = FPMIN;
        d = 1.0 / d;
        double del = d * c;
        h *= del;
        if (fabs(del - 1.0) < EPS)
            break;
    }
    return log(h) - x + a * log(x) - lgamma(a);
}

double alerts_poisson_logsf(int64_t k, double lambda)
{
    if (k <= 0)
        return 0.0;
    if (!(lambda > 0))
        return -INFINITY;
    double a = (double)k;
    if (lambda < a + 1.0)
        return gamma_series_log(a, lambda);
    double q = exp(gamma_cf_log(a, lambda)); /* here P >= ~0.3: no precision lost */
    return q < 1.0 ? log1p(-q) : -INFINITY;
}

/* The continued fraction of I_x(a, b) (Numerical Recipes' betacf). */
static double beta_cf(double a, double b, double x)
{
    double qab = a + b, qap = a + 1.0, qam = a - 1.0, c = 1.0, d = 1.0 - qab * x / qap;
    if (fabs(d) < FPMIN)
        d = FPMIN;
    d = 1.0 / d;
    double h = d;
    for (int m = 1; m < MAXIT; m++) {
        int m2 = 2 * m;
        double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if (fabs(d) < FPMIN)
            d = FPMIN;
        c = 1.0 + aa / c;
        if (fabs(c) < FPMIN)
            c = FPMIN;
        d = 1.0 / d;
        h *= d * c;
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if (fabs(d) < FPMIN)
            d = FPMIN;
        c = 1.0 + aa / c;
        if (fabs(c) < FPMIN)
            c = FPMIN;
        d = 1.0 / d;
        double del = d * c;
        h *= del;
        if (fabs(del - 1.0) < EPS)
            break;
    }
    return h;
}

/* ln I_x(a, b), with ln x and ln(1 - x) given (x = mu / (mu + r) is better
 * taken apart as logs than subtracted from 1). */
static double beta_inc_log(double a, double b, double x, double lx, double l1x)
{
    double lbeta = lgamma(a) + lgamma(b) - lgamma(a + b);
    if (x < (a + 1.0) / (a + b + 2.0))
        return a * lx + b * l1x - lbeta + log(beta_cf(a, b, x)) - log(a);
    double other = exp(b * l1x + a * lx - lbeta + log(beta_cf(b, a, 1.0 - x)) - log(b));
    return other < 1.0 ? log1p(-other) : -INFINITY;
}

double alerts_negbin_logsf(int64_t k, double mu, double r)
{
    if (k <= 0)
        return 0.0;
    if (!(mu > 0))
        return -INFINITY;
    if (!(r > 0) || r > 1e12 * mu) /* no overdispersion worth the name */
        return alerts_poisson_logsf(k, mu);
    double x = mu / (mu + r);
    return beta_inc_log((double)k, r, x, log(mu) - log(mu + r), log(r) - log(mu + r));
}
