#include <cblas.h>

// OpenBLAS exports LAPACK's Fortran symbols too; declare the ones SwiftGAN calls.
// Symmetric eigendecomposition (divide and conquer), double precision.
void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
             double *w, double *work, const int *lwork, int *iwork, const int *liwork, int *info);
