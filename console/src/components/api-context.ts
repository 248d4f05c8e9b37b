import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { ApiClient } from '../api/client.js';

/** The app's one API client (its CSRF token and its way back to the login form). */
export const ApiContext = createContext<ApiClient>(new ApiClient());

export const useApi = (): ApiClient => useContext(ApiContext);
