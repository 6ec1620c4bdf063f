// PROJ (libproj-dev): coordinate operations and Karney's geodesic routines.
#include <proj.h>
#include <geodesic.h>
